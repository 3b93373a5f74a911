/*
 * flags.h - tensord's command line: TF Serving's flags with the same names,
 * defaults and meaning, plus tensord's own. Flags are a table (flags.c).
 */
#ifndef TSD_SERVER_FLAGS_H
#define TSD_SERVER_FLAGS_H

#include <stdint.h>
#include <stdio.h>

/** Every option tensord understands. */
typedef struct srv_flags {
    /* TF Serving */
    int64_t port;
    int64_t rest_api_port;
    char *model_name;
    char *model_base_path;
    char *model_config_file;
    int64_t model_config_file_poll_wait_seconds;
    int64_t file_system_poll_wait_seconds;
    int64_t rest_api_num_threads;
    int64_t rest_api_timeout_in_ms;
    int rest_api_enable_cors_support;
    char *monitoring_config_file;
    int enable_model_warmup;
    int64_t num_request_iterations_for_warmup;
    int64_t max_num_load_retries;
    int64_t load_retry_interval_micros;
    char *saved_model_tags;
    int allow_version_labels_for_unavailable_models;
    int version;
    char *grpc_socket_path;
    char *grpc_channel_arguments;
    int64_t grpc_max_threads;
    int enable_grpc_healthcheck_service;
    int enable_serialization_as_tensor_content;
    int enable_batching;
    char *batching_parameters_file;
    int enable_per_model_batching_parameters;
    /* tensord */
    int64_t blas_threads;
    int64_t max_request_bytes;
    int64_t max_request_elements;
    int64_t drain_grace_seconds;
    int64_t drain_delay_seconds;
    char *log_level;
    char *log_requests_sample_rate;
    int log_json;
    char *training_admin_token;
    char *training_admin_token_file;
    int help;
} srv_flags;

/** Fill defaults. */
void srv_flags_defaults(srv_flags *f);

/**
 * Parse argv ("--name=value", "--name value", booleans as "--name" or
 * "--name=true|false"). Returns 0, or -1 after printing the error and usage
 * to err.
 */
int srv_flags_parse(srv_flags *f, int argc, char **argv, FILE *err);

/** Print the usage text (every flag with default and help). */
void srv_flags_usage(FILE *out);

/** Free strings. */
void srv_flags_free(srv_flags *f);

#endif
