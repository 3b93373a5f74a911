/*
 * test_json.c - the REST JSON codec: TF Serving's float formatting (values
 * from its json_tensor tests), string escaping, base64, request shapes in
 * row and columnar form with their error wording, and response forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "server/json_example.h"
#include "server/json_out.h"
#include "server/json_tensor.h"
#include "tensorflow/core/example/example.pb-c.h"

static void fmt_float(float v, const char *want)
{
    char buf[64];
    srv_format_float(v, buf, sizeof buf);
    assert_string_equal(buf, want);
    if (isfinite(v))
        assert_true(strtof(buf, NULL) == v); /* round-trips */
}

static void test_float_format(void **state)
{
    (void)state;
    fmt_float(3.0f, "3.0");
    fmt_float(9000000.0f, "9e+06");
    fmt_float(555557.5f, "555557.5");
    fmt_float(3e-05f, "3e-05");
    fmt_float(0.5f, "0.5");
    fmt_float(0.1f, "0.1");
    fmt_float(1.0f / 3.0f, "0.333333343");
    fmt_float(-2.0f, "-2.0");
    fmt_float(NAN, "NaN");
    fmt_float(INFINITY, "Infinity");
    fmt_float(-INFINITY, "-Infinity");
    char buf[64];
    srv_format_double(0.1, buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    srv_format_double(1.0 / 3.0, buf, sizeof buf);
    assert_true(strtod(buf, NULL) == 1.0 / 3.0);
}

static void test_string_and_b64(void **state)
{
    (void)state;
    srv_buf b = {0};
    srv_json_string(&b, "a\"b\\c\n\x01\xff", 8);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\"");
    srv_buf_free(&b);
    const char *msg = "hello, world!";
    char enc[64];
    size_t n = srv_base64_encode((const uint8_t *)msg, strlen(msg), enc);
    enc[n] = '\0';
    assert_string_equal(enc, "aGVsbG8sIHdvcmxkIQ==");
    uint8_t dec[64];
    assert_int_equal(srv_base64_decode(enc, n, dec), (long)strlen(msg));
    assert_memory_equal(dec, msg, strlen(msg));
    assert_int_equal(srv_base64_decode("a$==", 4, dec), -1);
}

static srv_json_limits lim = {1 << 20, 64};

static tsd_code decode(const char *text, const char *const *keys, const eng_dtype *dts, size_t nk,
                       srv_json_inputs *in, tsd_status *st, json_t **root)
{
    json_error_t e;
    *root = json_loads(text, 0, &e);
    assert_non_null(*root);
    return srv_json_predict_inputs(*root, keys, dts, nk, &lim, in, st);
}

static void test_row_single_input(void **state)
{
    (void)state;
    const char *keys[] = {"x"};
    eng_dtype dts[] = {ENG_DT_FLOAT};
    srv_json_inputs in;
    tsd_status st = TSD_STATUS_INIT;
    json_t *root;
    assert_int_equal(decode("{\"instances\": [[1, 2.5], [3, 4]]}", keys, dts, 1, &in, &st, &root),
                     TSD_OK);
    assert_int_equal(in.n, 1);
    assert_int_equal(in.row_format, 1);
    assert_int_equal(in.tensors[0].rank, 2);
    assert_int_equal(in.tensors[0].dims[0], 2);
    assert_int_equal(in.tensors[0].dims[1], 2);
    const float *f = in.tensors[0].data;
    assert_true(f[0] == 1.0f && f[1] == 2.5f && f[2] == 3.0f && f[3] == 4.0f);
    srv_json_inputs_free(&in);
    json_decref(root);

    /* ragged rows are refused */
    assert_int_equal(decode("{\"instances\": [[1], [1, 2]]}", keys, dts, 1, &in, &st, &root),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "Expecting shape [1] but got: [2]"));
    json_decref(root);
    /* wrong JSON type for the dtype */
    assert_int_equal(decode("{\"instances\": [\"a\"]}", keys, dts, 1, &in, &st, &root),
                     TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "JSON Value: \"a\" Type: String is not of expected type: float");
    json_decref(root);
    assert_int_equal(decode("{\"instances\": []}", keys, dts, 1, &in, &st, &root),
                     TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "No values in 'instances' array");
    json_decref(root);
}

static void test_int_dtype(void **state)
{
    (void)state;
    const char *keys[] = {"k"};
    eng_dtype dts[] = {ENG_DT_INT32};
    srv_json_inputs in;
    tsd_status st = TSD_STATUS_INIT;
    json_t *root;
    assert_int_equal(decode("{\"inputs\": [1.0]}", keys, dts, 1, &in, &st, &root),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "is not of expected type: int32"));
    json_decref(root);
    assert_int_equal(decode("{\"inputs\": [1, -2, 2147483647]}", keys, dts, 1, &in, &st, &root),
                     TSD_OK);
    assert_int_equal(((int32_t *)in.tensors[0].data)[2], 2147483647);
    srv_json_inputs_free(&in);
    json_decref(root);
    assert_int_equal(decode("{\"inputs\": [2147483648]}", keys, dts, 1, &in, &st, &root),
                     TSD_INVALID_ARGUMENT);
    json_decref(root);
}

static void test_multi_input_and_b64(void **state)
{
    (void)state;
    const char *keys[] = {"a", "s"};
    eng_dtype dts[] = {ENG_DT_INT64, ENG_DT_STRING};
    srv_json_inputs in;
    tsd_status st = TSD_STATUS_INIT;
    json_t *root;
    assert_int_equal(decode("{\"instances\": [{\"a\": 1, \"s\": {\"b64\": \"aGk=\"}}, "
                            "{\"a\": 2, \"s\": \"yo\"}]}",
                            keys, dts, 2, &in, &st, &root),
                     TSD_OK);
    assert_int_equal(in.n, 2);
    const eng_str *s = in.tensors[1].data;
    assert_int_equal(s[0].len, 2);
    assert_memory_equal(s[0].ptr, "hi", 2);
    assert_memory_equal(s[1].ptr, "yo", 2);
    srv_json_inputs_free(&in);
    json_decref(root);
    assert_int_equal(decode("{\"instances\": [1, 2]}", keys, dts, 2, &in, &st, &root),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "instances is a plain list, but expecting list of objects"));
    json_decref(root);
    assert_int_equal(decode("{\"inputs\": {\"a\": [1]}}", keys, dts, 2, &in, &st, &root),
                     TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "Missing named input: s in 'inputs' object.");
    json_decref(root);
    assert_int_equal(decode("{\"instances\": [{\"a\": 1, \"s\": {\"b64\": \"!!\"}}]}", keys, dts, 2,
                            &in, &st, &root),
                     TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "Unable to base64 decode");
    json_decref(root);
}

static void test_element_limit(void **state)
{
    (void)state;
    const char *keys[] = {"x"};
    eng_dtype dts[] = {ENG_DT_FLOAT};
    srv_json_limits small = {4, 64};
    json_error_t e;
    json_t *root = json_loads("{\"inputs\": [1, 2, 3, 4, 5]}", 0, &e);
    srv_json_inputs in;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(srv_json_predict_inputs(root, keys, dts, 1, &small, &in, &st),
                     TSD_INVALID_ARGUMENT);
    json_decref(root);
}

static void test_response_forms(void **state)
{
    (void)state;
    float y[3] = {3.0f, 3.5f, 4.0f};
    eng_tensor t = {ENG_DT_FLOAT, 2, {3, 1}, y, sizeof y};
    const char *keys[] = {"y"};
    srv_buf b = {0};
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(srv_json_predict_response(&b, 1, keys, &t, 1, &st), TSD_OK);
    assert_string_equal(b.data, "{\"predictions\": [[3.0], [3.5], [4.0]]}");
    srv_buf_free(&b);
    assert_int_equal(srv_json_predict_response(&b, 0, keys, &t, 1, &st), TSD_OK);
    assert_string_equal(b.data, "{\"outputs\": [[3.0], [3.5], [4.0]]}");
    srv_buf_free(&b);
    /* several outputs, one a *_bytes string output */
    eng_str s[3] = {{"a", 1}, {"b", 1}, {"\x00\x01", 2}};
    eng_tensor ts = {ENG_DT_STRING, 1, {3}, s, sizeof s};
    eng_tensor outs[2] = {t, ts};
    const char *k2[] = {"y", "z_bytes"};
    assert_int_equal(srv_json_predict_response(&b, 1, k2, outs, 2, &st), TSD_OK);
    assert_string_equal(b.data,
                        "{\"predictions\": [{\"y\": [3.0], \"z_bytes\": {\"b64\": \"YQ==\"}}, "
                        "{\"y\": [3.5], \"z_bytes\": {\"b64\": \"Yg==\"}}, "
                        "{\"y\": [4.0], \"z_bytes\": {\"b64\": \"AAE=\"}}]}");
    srv_buf_free(&b);
    /* inconsistent batch sizes are an error in the row form */
    eng_tensor bad = {ENG_DT_FLOAT, 1, {2}, y, 8};
    eng_tensor outs2[2] = {t, bad};
    assert_int_equal(srv_json_predict_response(&b, 1, k2, outs2, 2, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "has inconsistent batch size: 2 expecting: 3"));
    srv_buf_free(&b);
}

static void test_examples(void **state)
{
    (void)state;
    json_error_t e;
    json_t *root = json_loads("{\"context\": {\"c\": \"ctx\"}, \"examples\": [{\"x\": 2.0, "
                              "\"n\": [1, true], \"s\": {\"b64\": \"aGk=\"}}]}",
                              0, &e);
    eng_tensor t;
    char *storage;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(srv_json_examples(root, "classify", &t, &storage, &st), TSD_OK);
    assert_int_equal(t.dims[0], 1);
    const eng_str *s = t.data;
    Tensorflow__Example *ex =
        tensorflow__example__unpack(NULL, s[0].len, (const uint8_t *)s[0].ptr);
    assert_non_null(ex);
    int seen = 0;
    for (size_t i = 0; i < ex->features->n_feature; i++) {
        Tensorflow__Features__FeatureEntry *fe = ex->features->feature[i];
        if (!strcmp(fe->key, "x")) {
            assert_int_equal(fe->value->kind_case, TENSORFLOW__FEATURE__KIND_FLOAT_LIST);
            assert_true(fe->value->float_list->value[0] == 2.0f);
            seen |= 1;
        } else if (!strcmp(fe->key, "n")) {
            assert_int_equal(fe->value->kind_case, TENSORFLOW__FEATURE__KIND_INT64_LIST);
            assert_int_equal(fe->value->int64_list->value[1], 1);
            seen |= 2;
        } else if (!strcmp(fe->key, "s")) {
            assert_int_equal(fe->value->bytes_list->value[0].len, 2);
            seen |= 4;
        } else if (!strcmp(fe->key, "c")) {
            seen |= 8; /* the context merged in */
        }
    }
    assert_int_equal(seen, 15);
    tensorflow__example__free_unpacked(ex, NULL);
    eng_tensor_free_data(&t);
    free(storage);
    json_decref(root);

    root = json_loads("{\"examples\": [{\"x\": [1.0, 2]}]}", 0, &e);
    assert_int_equal(srv_json_examples(root, "regress", &t, &storage, &st), TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "Unexpected element type in feature: x expecting type: float");
    json_decref(root);
    root = json_loads("{\"examples\": [{\"x\": [[1.0]]}]}", 0, &e);
    assert_int_equal(srv_json_examples(root, "regress", &t, &storage, &st), TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "Feature: x has element with unexpected JSON type: Array");
    json_decref(root);
    root = json_loads("{\"examples\": []}", 0, &e);
    assert_int_equal(srv_json_examples(root, "regress", &t, &storage, &st), TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "'examples' value is an empty array");
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_format),        cmocka_unit_test(test_string_and_b64),
        cmocka_unit_test(test_row_single_input),    cmocka_unit_test(test_int_dtype),
        cmocka_unit_test(test_multi_input_and_b64), cmocka_unit_test(test_element_limit),
        cmocka_unit_test(test_response_forms),      cmocka_unit_test(test_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
