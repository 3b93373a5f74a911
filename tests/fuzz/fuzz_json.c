/*
 * fuzz_json.c - libFuzzer driver for the REST JSON decoders: arbitrary
 * bytes as a predict body (row and columnar forms, against a signature with
 * float, int64 and string inputs) and as a classify/regress body, with the
 * response writer run on whatever decodes.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "server/json_example.h"
#include "server/json_tensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY, &e);
    if (!root)
        return 0;
    if (json_is_object(root)) {
        static const char *const keys1[] = {"x"};
        static const eng_dtype dt1[] = {ENG_DT_FLOAT};
        static const char *const keys3[] = {"n", "s", "x"};
        static const eng_dtype dt3[] = {ENG_DT_INT64, ENG_DT_STRING, ENG_DT_FLOAT};
        srv_json_limits lim = {1 << 16, 32};
        srv_json_inputs in;
        tsd_status st = TSD_STATUS_INIT;
        if (srv_json_predict_inputs(root, keys1, dt1, 1, &lim, &in, &st) == TSD_OK) {
            srv_buf b = {0};
            srv_json_predict_response(&b, in.row_format, (const char *const *)in.names, in.tensors,
                                      in.n, &st);
            srv_buf_free(&b);
            srv_json_inputs_free(&in);
        }
        if (srv_json_predict_inputs(root, keys3, dt3, 3, &lim, &in, &st) == TSD_OK)
            srv_json_inputs_free(&in);
        eng_tensor ex;
        char *storage;
        if (srv_json_examples(root, "classify", &ex, &storage, &st) == TSD_OK) {
            eng_tensor_free_data(&ex);
            free(storage);
        }
    }
    json_decref(root);
    return 0;
}
