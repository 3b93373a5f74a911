/*
 * main.c - tensord: parse flags, build the model config (single model or
 * --model_config_file), load every model before opening ports (as TF
 * Serving does), serve REST, reload the config file when asked to poll it,
 * and on SIGTERM/SIGINT stop accepting, drain in-flight requests (bounded
 * by --drain_grace_seconds) and exit 0. Models with a training_job are
 * trained in the background (server/training.c); SIGTERM stops their
 * training (each saves a checkpoint) and waits for it.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/pbtext.h"
#include "engine/engine.h"
#include "server/config.h"
#include "server/flags.h"
#include "server/grpc.h"
#include "server/log.h"
#include "server/manager.h"
#include "server/rest.h"
#include "server/metrics.h"
#include "server/training.h"
#include "tensorflow_serving/config/model_server_config.pb-c.h"
#include "tensorflow_serving/config/monitoring_config.pb-c.h"

#ifndef TSD_VERSION
#define TSD_VERSION "0.1.0"
#endif
#ifndef TSD_GIT_COMMIT
#define TSD_GIT_COMMIT "unknown"
#endif
#ifndef TSD_BUILD_TYPE
#define TSD_BUILD_TYPE "unknown"
#endif

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* Split "serve,gpu" into an array of strings (malloc'ed). */
static int split_tags(const char *s, char ***out)
{
    int n = 0;
    char **arr = NULL;
    char *copy = strdup(s ? s : "serve");
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char **na = realloc(arr, (size_t)(n + 1) * sizeof *na);
        if (!na)
            break;
        arr = na;
        arr[n++] = strdup(t);
    }
    free(copy);
    *out = arr;
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !g_stop)
        ;
}

/*
 * gRPC request threads with batching: a request blocks while its batch
 * fills, so a batch of N needs N requests in flight. TF Serving's advice is
 * about 2 x max_batch_size; capped to keep the thread count sane. (REST
 * gives each connection its own thread when batching.)
 */
static int waiting_threads(const srv_batcher *b)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int64_t n = 2 * srv_batcher_params(b)->max_batch_size, min = 4 * (ncpu > 0 ? ncpu : 1);
    if (n > 256)
        n = 256;
    return (int)(n < min ? min : n);
}

/* The batcher from --enable_batching / --batching_parameters_file (or NULL). */
static tsd_code start_batching(const srv_flags *f, srv_batcher **out, tsd_status *st)
{
    *out = NULL;
    int has_file = f->batching_parameters_file && *f->batching_parameters_file;
    if (!f->enable_batching) {
        if (has_file)
            return tsd_err(st, TSD_FAILED_PRECONDITION,
                           "server_options.batching_parameters_file is set without setting "
                           "server_options.enable_batching to true.");
        if (f->enable_per_model_batching_parameters)
            return tsd_err(st, TSD_FAILED_PRECONDITION,
                           "server_options.enable_per_model_batching_params is set without "
                           "setting server_options.enable_batching to true.");
        return TSD_OK;
    }
    srv_batch_params p;
    srv_batch_params_defaults(&p);
    if (has_file) {
        snprintf(p.thread_pool_name, sizeof p.thread_pool_name, "batch_threads");
        if (srv_batch_params_load(f->batching_parameters_file, &p, st))
            return st->code;
    }
    *out = srv_batcher_new(&p, st);
    if (!*out)
        return st->code;
    srv_log(SRV_LOG_INFO,
            "Batching enabled: max_batch_size %" PRId64 ", batch_timeout_micros %" PRId64
            ", max_enqueued_batches %" PRId64 ", num_batch_threads %" PRId64,
            p.max_batch_size, p.batch_timeout_micros, p.max_enqueued_batches, p.num_batch_threads);
    return TSD_OK;
}

/* The Prometheus path from --monitoring_config_file (NULL = disabled). */
static tsd_code monitoring_path(const char *file, char **path, tsd_status *st)
{
    *path = NULL;
    if (!file || !*file)
        return TSD_OK;
    ProtobufCMessage *m = NULL;
    tsd_code c =
        tsd_pbtext_parse_file(&tensorflow__serving__monitoring_config__descriptor, file, &m, st);
    if (c)
        return c;
    const Tensorflow__Serving__MonitoringConfig *mc = (const void *)m;
    if (mc->prometheus_config && mc->prometheus_config->enable)
        *path = strdup(mc->prometheus_config->path && *mc->prometheus_config->path
                           ? mc->prometheus_config->path
                           : "/monitoring/prometheus/metrics");
    protobuf_c_message_free_unpacked(m, NULL);
    return TSD_OK;
}

/* The training admin token: --training_admin_token, or the first line of
 * --training_admin_token_file. */
static tsd_code read_token(const srv_flags *f, char *out, size_t len, tsd_status *st)
{
    snprintf(out, len, "%s", f->training_admin_token ? f->training_admin_token : "");
    if (!f->training_admin_token_file || !*f->training_admin_token_file)
        return TSD_OK;
    if (*out)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "give --training_admin_token or --training_admin_token_file, not both");
    FILE *fp = fopen(f->training_admin_token_file, "r");
    if (!fp)
        return tsd_err(st, TSD_NOT_FOUND, "--training_admin_token_file %s: cannot open",
                       f->training_admin_token_file);
    if (!fgets(out, (int)len, fp))
        out[0] = '\0';
    fclose(fp);
    out[strcspn(out, "\r\n")] = '\0';
    if (!*out)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "--training_admin_token_file %s is empty",
                       f->training_admin_token_file);
    return TSD_OK;
}

int main(int argc, char **argv)
{
    srv_flags f;
    srv_flags_defaults(&f);
    if (srv_flags_parse(&f, argc, argv, stderr) != 0) {
        srv_flags_free(&f);
        return 255;
    }
    if (f.help) {
        srv_flags_usage(stdout);
        srv_flags_free(&f);
        return 0;
    }
    if (f.version) {
        printf("TensorFlow ModelServer: tensord %s\nTensorFlow Library: none (tensord engine)\n"
               "build: commit %s, %s, %s %s, compiler %s\n",
               TSD_VERSION, TSD_GIT_COMMIT, TSD_BUILD_TYPE, __DATE__, __TIME__, __VERSION__);
        srv_flags_free(&f);
        return 0;
    }
    int lvl = srv_log_level_from_name(f.log_level);
    if (lvl < 0) {
        fprintf(stderr, "Illegal value '%s' specified for flag 'log_level'\n", f.log_level);
        srv_flags_free(&f);
        return 255;
    }
    srv_log_setup((srv_log_level)lvl, f.log_json);
    char *rate_end;
    double rate = strtod(f.log_requests_sample_rate, &rate_end);
    if (*rate_end || rate < 0 || rate > 1) {
        fprintf(stderr, "Illegal value '%s' specified for flag 'log_requests_sample_rate'\n",
                f.log_requests_sample_rate);
        srv_flags_free(&f);
        return 255;
    }
    srv_log_requests_setup(rate);
    eng_set_blas_threads((int)f.blas_threads);
    signal(SIGPIPE, SIG_IGN);

    srv_model_config *cfg = NULL;
    size_t ncfg = 0;
    tsd_status st = TSD_STATUS_INIT;
    if (srv_config_from_flags(&f, &cfg, &ncfg, &st) != TSD_OK) {
        fprintf(stderr, "Failed to start server. Error: %s\n", st.msg);
        srv_flags_free(&f);
        return 255;
    }

    srv_batcher *batcher = NULL;
    if (start_batching(&f, &batcher, &st) != TSD_OK) {
        fprintf(stderr, "Failed to start server. Error: %s\n", st.msg);
        srv_config_free(cfg, ncfg);
        srv_flags_free(&f);
        return 255;
    }
    char **tags;
    int ntags = split_tags(f.saved_model_tags, &tags);
    srv_manager_options mo = {(const char *const *)tags,
                              ntags,
                              (int)f.max_num_load_retries,
                              f.load_retry_interval_micros,
                              (int)f.file_system_poll_wait_seconds,
                              f.enable_model_warmup,
                              (int)f.num_request_iterations_for_warmup,
                              batcher,
                              f.enable_per_model_batching_parameters};
    char token[512];
    if (read_token(&f, token, sizeof token, &st) != TSD_OK) {
        fprintf(stderr, "Failed to start server. Error: %s\n", st.msg);
        return 255;
    }
    srv_manager *mgr = srv_manager_new(&mo);
    int rc = 0;
    srv_rest *rest = NULL;
    srv_grpc *grpc = NULL;
    srv_training *training = NULL;
    if (mgr) {
        /* training jobs follow every model config change (startup, reloads) */
        srv_training_options to = {token, f.file_system_poll_wait_seconds <= 0, 10};
        training = srv_training_new(mgr, &to);
        if (training)
            srv_manager_set_listener(mgr, srv_training_on_config, training);
    }
    if (!mgr || !training) {
        fprintf(stderr, "Failed to start server. Error: out of memory\n");
        rc = 255;
        goto out;
    }
    /* Load every model before any port opens. */
    if (srv_manager_set_config(mgr, cfg, ncfg, 1, &st) != TSD_OK) {
        fprintf(stderr, "Failed to start server. Error: %s\n", st.msg);
        rc = 255;
        goto out;
    }
    if (srv_manager_start(mgr, &st) != TSD_OK) {
        fprintf(stderr, "Failed to start server. Error: %s\n", st.msg);
        rc = 255;
        goto out;
    }
    if (f.port <= 0 && !(f.grpc_socket_path && *f.grpc_socket_path)) {
        fprintf(stderr, "Failed to start server. Error: At least one of server_options.grpc_port "
                        "or server_options.grpc_socket_path must be set.\n");
        rc = 255;
        goto out;
    }
    {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        srv_grpc_options go = {(int)f.port,
                               f.grpc_socket_path,
                               f.grpc_channel_arguments,
                               f.grpc_max_threads > 0 ? (int)f.grpc_max_threads
                               : batcher              ? waiting_threads(batcher)
                                                      : (int)(4 * (ncpu > 0 ? ncpu : 1)),
                               f.enable_grpc_healthcheck_service,
                               f.enable_serialization_as_tensor_content,
                               f.max_request_elements};
        grpc = srv_grpc_start(&go, mgr, &st);
        if (!grpc) {
            fprintf(stderr, "Failed to start server. Error: %s\n", st.msg);
            rc = 255;
            goto out;
        }
        srv_log(SRV_LOG_INFO, "Running gRPC ModelServer at 0.0.0.0:%" PRId64 " ...", f.port);
    }
    if (f.rest_api_port > 0 && f.rest_api_port == f.port) {
        srv_log(SRV_LOG_ERROR, "--rest_api_port must differ from --port; REST is disabled");
        f.rest_api_port = 0;
    }
    char *metrics_path = NULL;
    if (monitoring_path(f.monitoring_config_file, &metrics_path, &st) != TSD_OK) {
        fprintf(stderr, "Failed to start server. Error: %s\n", st.msg);
        rc = 255;
        goto out;
    }
    if (f.rest_api_port > 0) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        srv_rest_options ro = {(int)f.rest_api_port,
                               f.rest_api_num_threads > 0 ? (int)f.rest_api_num_threads
                                                          : (int)(4 * (ncpu > 0 ? ncpu : 1)),
                               f.rest_api_enable_cors_support,
                               (size_t)f.max_request_bytes,
                               f.max_request_elements,
                               metrics_path,
                               f.rest_api_timeout_in_ms,
                               batcher != NULL,
                               training};
        rest = srv_rest_start(&ro, mgr, &st);
        free(metrics_path);
        metrics_path = NULL;
        if (!rest) {
            fprintf(stderr, "Failed to start server. Error: %s\n", st.msg);
            rc = 255;
            goto out;
        }
        srv_log(SRV_LOG_INFO, "Exporting HTTP/REST API at:localhost:%" PRId64 " ...",
                f.rest_api_port);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    time_t last_reload = time(NULL);
    while (!g_stop) {
        sleep_ms(200);
        if (f.model_config_file && *f.model_config_file &&
            f.model_config_file_poll_wait_seconds > 0 &&
            time(NULL) - last_reload >= f.model_config_file_poll_wait_seconds) {
            last_reload = time(NULL);
            srv_model_config *nc = NULL;
            size_t nn = 0;
            tsd_status rst = TSD_STATUS_INIT;
            if (srv_config_from_flags(&f, &nc, &nn, &rst) != TSD_OK ||
                srv_manager_set_config(mgr, nc, nn, 0, &rst) != TSD_OK)
                srv_log(SRV_LOG_ERROR, "config reload failed: %s", rst.msg);
            else
                srv_manager_poll_once(mgr);
            srv_config_free(nc, nn);
        }
    }

    srv_log(SRV_LOG_INFO, "shutting down: draining in-flight requests");
    srv_training_stop_all(training); /* checkpoints while requests drain */
    if (grpc)
        srv_grpc_drain(grpc);
    if (rest) {
        srv_rest_drain(rest); /* /readyz now fails */
        for (int64_t i = 0; i < f.drain_delay_seconds * 10; i++)
            sleep_ms(100);
        srv_rest_quiesce(rest); /* no new connections */
        time_t deadline = time(NULL) + f.drain_grace_seconds;
        while (srv_rest_inflight(rest) > 0 && time(NULL) < deadline)
            sleep_ms(20);
        srv_rest_stop(rest);
        rest = NULL;
    }
    if (grpc) {
        srv_grpc_stop(grpc); /* finishes running calls */
        grpc = NULL;
    }
out:
    srv_grpc_stop(grpc);
    srv_rest_stop(rest);
    if (mgr)
        srv_manager_set_listener(mgr, NULL, NULL);
    srv_training_free(training); /* waits for stopped jobs */
    srv_batcher_free(batcher);   /* finishes queued batches; handles still held */
    srv_manager_free(mgr);
    srv_metrics_shutdown();
    srv_config_free(cfg, ncfg);
    for (int i = 0; i < ntags; i++)
        free(tags[i]);
    free(tags);
    srv_flags_free(&f);
    return rc;
}
