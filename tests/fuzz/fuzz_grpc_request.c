/*
 * fuzz_grpc_request.c - libFuzzer driver for the gRPC request path: the
 * first byte picks a method (Predict, Classify, Regress, MultiInference,
 * GetModelMetadata, GetModelStatus), the rest is unpacked as that method's
 * request message and handed to the real handler, with the bundled
 * half_plus_two model loaded under the names "half" and "default", exactly
 * as the gRPC transport does (unpack, handle, pack the response), with a
 * request element limit as --max_request_elements sets it. Any
 * crash, leak or sanitizer report is a bug; errors are expected.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/grpc_int.h"
#include "server/manager.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const struct {
    const ProtobufCMessageDescriptor *req;
    srv_grpc_handler fn;
} methods[] = {
    {&tensorflow__serving__predict_request__descriptor, srv_grpc_predict},
    {&tensorflow__serving__classification_request__descriptor, srv_grpc_classify},
    {&tensorflow__serving__regression_request__descriptor, srv_grpc_regress},
    {&tensorflow__serving__multi_inference_request__descriptor, srv_grpc_multi_inference},
    {&tensorflow__serving__get_model_metadata_request__descriptor, srv_grpc_metadata},
    {&tensorflow__serving__get_model_status_request__descriptor, srv_grpc_status},
};

static srv_manager *mgr;
static eng_call *call;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    srv_manager_options mo;
    memset(&mo, 0, sizeof mo);
    mo.file_system_poll_wait_seconds = -1;
    mgr = srv_manager_new(&mo);
    static char half[] = "half", dflt[] = "default";
    static char path[] = TSD_SOURCE_DIR "/models/half_plus_two";
    srv_model_config cfg[2];
    memset(cfg, 0, sizeof cfg);
    cfg[0].name = half;
    cfg[1].name = dflt;
    for (int i = 0; i < 2; i++) {
        cfg[i].base_path = path;
        cfg[i].policy = SRV_POLICY_LATEST;
        cfg[i].num_versions = 1;
    }
    tsd_status st = TSD_STATUS_INIT;
    if (!mgr || srv_manager_set_config(mgr, cfg, 2, 1, &st) != TSD_OK)
        abort();
    call = eng_call_new();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t m = data[0] % (sizeof methods / sizeof methods[0]);
    ProtobufCMessage *req = protobuf_c_message_unpack(methods[m].req, NULL, size - 1, data + 1);
    if (!req)
        return 0;
    srv_grpc_ctx g;
    memset(&g, 0, sizeof g);
    g.mgr = mgr;
    g.call = call;
    g.tensor_content = size & 1;
    g.version = -1;
    /* as tensord's --max_request_elements, lower than its default: a few
     * bytes declaring a huge shape with one repeated value fail before any
     * allocation instead of building up to a 1 GiB tensor per input */
    g.max_elements = 1 << 20;
    srv_pool pool;
    memset(&pool, 0, sizeof pool);
    ProtobufCMessage *resp = NULL;
    tsd_status st = TSD_STATUS_INIT;
    eng_call_set_timeout(call, 2000);
    tsd_code code = methods[m].fn(&g, req, &resp, &pool, &st);
    if (!code && resp)
        code = srv_grpc_pack(resp, &g, &st);
    if (!code && !g.packed && g.packed_len)
        abort(); /* a success must carry its response bytes */
    protobuf_c_message_free_unpacked(req, NULL);
    srv_pool_free(&pool);
    free(g.packed);
    return 0;
}
