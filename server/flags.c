/*
 * flags.c - the flag table and parser (see flags.h).
 */
#include "server/flags.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_INT, F_BOOL, F_STR } ftype;

static const struct flag {
    const char *name;
    ftype type;
    size_t off;
    const char *dflt;
    const char *help;
} flags[] = {
#define FL(n, t, d, h)                                                                             \
    {                                                                                              \
#n, t, offsetof(srv_flags, n), d, h                                                        \
    }
    FL(port, F_INT, "8500", "Port to listen on for gRPC API"),
    FL(rest_api_port, F_INT, "8501", "Port to listen on for HTTP/REST API (0 disables it)"),
    FL(model_name, F_STR, "default", "name of model (ignored if --model_config_file is set)"),
    FL(model_base_path, F_STR, "",
       "absolute path to export base directory (ignored if --model_config_file is set)"),
    FL(model_config_file, F_STR, "",
       "text-format tensorflow.serving.ModelServerConfig listing the models to serve"),
    FL(model_config_file_poll_wait_seconds, F_INT, "0",
       "interval in seconds between re-reads of --model_config_file (0: read once)"),
    FL(file_system_poll_wait_seconds, F_INT, "1",
       "interval in seconds between scans of the model base paths for new versions "
       "(0: scan once at start, <0: never)"),
    FL(rest_api_num_threads, F_INT, "0", "number of HTTP/REST worker threads (0: 4 x CPUs)"),
    FL(rest_api_timeout_in_ms, F_INT, "30000", "timeout for HTTP/REST API calls"),
    FL(rest_api_enable_cors_support, F_BOOL, "false", "enable CORS headers in REST responses"),
    FL(monitoring_config_file, F_STR, "",
       "text-format tensorflow.serving.MonitoringConfig (Prometheus endpoint)"),
    FL(enable_model_warmup, F_BOOL, "true",
       "replay assets.extra/tf_serving_warmup_requests before a version is served"),
    FL(num_request_iterations_for_warmup, F_INT, "0", "times each warmup record is replayed"),
    FL(max_num_load_retries, F_INT, "5", "retries of a failed model load"),
    FL(load_retry_interval_micros, F_INT, "60000000", "wait between load retries (microseconds)"),
    FL(saved_model_tags, F_STR, "serve", "comma-separated tags of the MetaGraphDef to load"),
    FL(allow_version_labels_for_unavailable_models, F_BOOL, "false",
       "allow assigning a new label to a version that is not yet available"),
    FL(version, F_BOOL, "false", "print the version and exit"),
    FL(grpc_socket_path, F_STR, "", "also serve gRPC on this UNIX domain socket"),
    FL(grpc_channel_arguments, F_STR, "",
       "gRPC channel arguments as k=v,k=v (int32 values are passed as integers)"),
    FL(grpc_max_threads, F_INT, "0", "gRPC worker threads (0: 4 x CPUs)"),
    FL(enable_grpc_healthcheck_service, F_BOOL, "false",
       "serve grpc.health.v1.Health, reflecting model readiness"),
    FL(enable_serialization_as_tensor_content, F_BOOL, "false",
       "encode PredictResponse tensors in tensor_content instead of the typed *_val fields"),
    FL(enable_batching, F_BOOL, "false", "enable batching"),
    FL(batching_parameters_file, F_STR, "",
       "text-format tensorflow.serving.BatchingParameters (requires --enable_batching)"),
    FL(enable_per_model_batching_parameters, F_BOOL, "false",
       "read batching parameters from batching_params.pbtxt in each SavedModel directory "
       "(versions without it are not batched; requires --enable_batching)"),
    FL(blas_threads, F_INT, "1",
       "[tensord] OpenBLAS threads inside one kernel call (requests already run in parallel; "
       "0: one per core)"),
    FL(max_request_bytes, F_INT, "67108864", "[tensord] largest REST request body (413 above)"),
    FL(max_request_elements, F_INT, "67108864",
       "[tensord] most elements a request may build: per input tensor over REST, summed over "
       "the inputs (or examples) of a gRPC request; checked before allocating"),
    FL(drain_grace_seconds, F_INT, "30",
       "[tensord] on SIGTERM/SIGINT, time allowed for in-flight requests before exiting"),
    FL(drain_delay_seconds, F_INT, "0",
       "[tensord] on SIGTERM/SIGINT, keep serving this long with /readyz failing before "
       "refusing new connections (lets load balancers notice)"),
    FL(log_level, F_STR, "info", "[tensord] debug, info, warn or error"),
    FL(log_requests_sample_rate, F_STR, "0",
       "[tensord] fraction (0..1) of requests logged, one line each"),
    FL(log_json, F_BOOL, "false", "[tensord] log one JSON object per line"),
    FL(training_admin_token, F_STR, "",
       "[tensord] token that POST /v1/training/{model}:start|:stop require "
       "(Authorization: Bearer <token>); empty: training control is disabled"),
    FL(training_admin_token_file, F_STR, "",
       "[tensord] read the training admin token from this file (first line), so it does not "
       "show in the process list"),
    FL(help, F_BOOL, "false", "print this help and exit"),
#undef FL
};

static int set_flag(srv_flags *f, const struct flag *fl, const char *val, FILE *err)
{
    void *p = (char *)f + fl->off;
    switch (fl->type) {
    case F_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(val, &end, 10);
        if (!*val || *end || errno) {
            fprintf(err, "Illegal value '%s' specified for flag '%s'\n", val, fl->name);
            return -1;
        }
        *(int64_t *)p = v;
        return 0;
    }
    case F_BOOL:
        if (!strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "True"))
            *(int *)p = 1;
        else if (!strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "False"))
            *(int *)p = 0;
        else {
            fprintf(err, "Illegal value '%s' specified for flag '%s'\n", val, fl->name);
            return -1;
        }
        return 0;
    case F_STR: {
        char *s = strdup(val);
        if (!s)
            return -1;
        free(*(char **)p);
        *(char **)p = s;
        return 0;
    }
    }
    return -1;
}

void srv_flags_defaults(srv_flags *f)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        set_flag(f, &flags[i], flags[i].dflt, stderr);
}

void srv_flags_free(srv_flags *f)
{
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i].type == F_STR) {
            char **p = (char **)((char *)f + flags[i].off);
            free(*p);
            *p = NULL;
        }
}

void srv_flags_usage(FILE *out)
{
    fprintf(out, "usage: tensord [flags]\nFlags:\n");
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const struct flag *fl = &flags[i];
        const char *t = fl->type == F_INT ? "int64" : fl->type == F_BOOL ? "bool" : "string";
        fprintf(out, "\t--%s=%s%s%s\t%s\t%s\n", fl->name, fl->type == F_STR ? "\"" : "", fl->dflt,
                fl->type == F_STR ? "\"" : "", t, fl->help);
    }
}

int srv_flags_parse(srv_flags *f, int argc, char **argv, FILE *err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 && !(a[0] == '-' && a[1] != '-' && a[1])) {
            fprintf(err, "unknown argument: %s\n", a);
            srv_flags_usage(err);
            return -1;
        }
        a += a[1] == '-' ? 2 : 1;
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const struct flag *fl = NULL;
        for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
            if (strlen(flags[k].name) == nlen && strncmp(flags[k].name, a, nlen) == 0)
                fl = &flags[k];
        if (!fl) {
            fprintf(err, "ERROR: unknown command line flag '%.*s'\n", (int)nlen, a);
            srv_flags_usage(err);
            return -1;
        }
        const char *val = eq ? eq + 1 : NULL;
        if (!val) {
            if (fl->type == F_BOOL)
                val = "true";
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                fprintf(err, "ERROR: flag '--%s' needs a value\n", fl->name);
                srv_flags_usage(err);
                return -1;
            }
        }
        if (set_flag(f, fl, val, err) != 0) {
            srv_flags_usage(err);
            return -1;
        }
    }
    return 0;
}
