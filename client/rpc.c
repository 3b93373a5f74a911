/*
 * rpc.c - unary gRPC calls (gRPC C core, one pluck completion queue per
 * call) and REST requests (libcurl) for tensorctl (see rpc.h).
 */
#include "client/rpc.h"

#include <curl/curl.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct cli_grpc {
    grpc_channel *ch;
};

cli_grpc *cli_grpc_open(const char *target)
{
    cli_grpc *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    grpc_init();
    grpc_arg args[2];
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = INT_MAX;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
    args[1].value.integer = INT_MAX;
    grpc_channel_args ca = {2, args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    c->ch = grpc_channel_create(target, creds, &ca);
    grpc_channel_credentials_release(creds);
    return c;
}

void cli_grpc_close(cli_grpc *c)
{
    if (!c)
        return;
    grpc_channel_destroy(c->ch);
    free(c);
    grpc_shutdown();
}

tsd_code cli_grpc_call(cli_grpc *c, const char *method, const uint8_t *req, size_t len,
                       int64_t timeout_ms, uint8_t **resp, size_t *resp_len, tsd_status *st)
{
    *resp = NULL;
    *resp_len = 0;
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
    grpc_slice ms = grpc_slice_from_copied_string(method);
    grpc_call *call = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, ms, NULL,
                                               deadline, NULL);
    grpc_slice_unref(ms);
    grpc_slice body = grpc_slice_from_copied_buffer((const char *)req, len);
    grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&body, 1);
    grpc_slice_unref(body);
    grpc_byte_buffer *recv = NULL;
    grpc_metadata_array init_md, trail_md;
    grpc_metadata_array_init(&init_md);
    grpc_metadata_array_init(&trail_md);
    grpc_status_code code = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &init_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trail_md;
    ops[5].data.recv_status_on_client.status = &code;
    ops[5].data.recv_status_on_client.status_details = &details;
    tsd_code rc = TSD_OK;
    if (grpc_call_start_batch(call, ops, 6, (void *)1, NULL) != GRPC_CALL_OK) {
        rc = tsd_err(st, TSD_INTERNAL, "cannot start the gRPC call");
    } else {
        grpc_completion_queue_pluck(cq, (void *)1, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (code != GRPC_STATUS_OK) {
            char *msg = grpc_slice_to_c_string(details);
            rc = tsd_err(st, (tsd_code)code, "%s", msg);
            gpr_free(msg);
        } else if (recv) {
            grpc_byte_buffer_reader rd;
            grpc_byte_buffer_reader_init(&rd, recv);
            grpc_slice s = grpc_byte_buffer_reader_readall(&rd);
            grpc_byte_buffer_reader_destroy(&rd);
            *resp_len = GRPC_SLICE_LENGTH(s);
            *resp = malloc(*resp_len ? *resp_len : 1);
            if (*resp)
                memcpy(*resp, GRPC_SLICE_START_PTR(s), *resp_len);
            else
                rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            grpc_slice_unref(s);
        }
    }
    if (recv)
        grpc_byte_buffer_destroy(recv);
    grpc_byte_buffer_destroy(send);
    grpc_slice_unref(details);
    grpc_metadata_array_destroy(&init_md);
    grpc_metadata_array_destroy(&trail_md);
    grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    return rc;
}

typedef struct {
    char *data;
    size_t len;
} membuf;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    membuf *m = ud;
    size_t add = sz * n;
    char *nd = realloc(m->data, m->len + add + 1);
    if (!nd)
        return 0;
    memcpy(nd + m->len, p, add);
    m->data = nd;
    m->len += add;
    m->data[m->len] = '\0';
    return add;
}

tsd_code cli_rest_call(const char *hostport, const char *method, const char *path, const char *body,
                       size_t len, int64_t timeout_ms, char **resp, long *http_code, tsd_status *st)
{
    *resp = NULL;
    *http_code = 0;
    CURL *h = curl_easy_init();
    if (!h)
        return tsd_err(st, TSD_INTERNAL, "cannot initialise libcurl");
    size_t ul = strlen(hostport) + strlen(path) + 16;
    char *url = malloc(ul);
    if (!url) {
        curl_easy_cleanup(h);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    snprintf(url, ul, "http://%s%s", hostport, path);
    membuf mb = {NULL, 0};
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &mb);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode cc = curl_easy_perform(h);
    tsd_code rc = TSD_OK;
    if (cc != CURLE_OK) {
        rc = tsd_err(st, cc == CURLE_OPERATION_TIMEDOUT ? TSD_DEADLINE_EXCEEDED : TSD_UNAVAILABLE,
                     "%s: %s", url, curl_easy_strerror(cc));
        free(mb.data);
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http_code);
        *resp = mb.data ? mb.data : strdup("");
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    free(url);
    return rc;
}
