/*
 * rpc.h - tensorctl's two transports to a running tensord (or TF Serving):
 * one unary gRPC call on gRPC C core, and one REST request on libcurl.
 */
#ifndef TSD_CLIENT_RPC_H
#define TSD_CLIENT_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

typedef struct cli_grpc cli_grpc;

/** Open a channel to target ("host:port" or "unix:/path"). */
cli_grpc *cli_grpc_open(const char *target);
void cli_grpc_close(cli_grpc *c);

/**
 * Unary call: send req (len bytes) to method ("/pkg.Service/Method"), wait
 * at most timeout_ms, return the reply in *resp (malloc'ed). A non-OK gRPC
 * status becomes the same tsd_code with the server's message.
 */
tsd_code cli_grpc_call(cli_grpc *c, const char *method, const uint8_t *req, size_t len,
                       int64_t timeout_ms, uint8_t **resp, size_t *resp_len, tsd_status *st);

/**
 * REST: method "GET" or "POST" to http://<hostport><path> with an optional
 * JSON body; *resp is the NUL-terminated body (malloc'ed), *http_code the
 * status. Transport failures are UNAVAILABLE.
 */
tsd_code cli_rest_call(const char *hostport, const char *method, const char *path, const char *body,
                       size_t len, int64_t timeout_ms, char **resp, long *http_code,
                       tsd_status *st);

#endif
