/*
 * test_golden_keras.c - TF2 Keras exports: keras_single_input against a
 * naive forward pass computed here from the checkpoint weights
 * (sigmoid(relu(relu(x W0 + b0) W1 + b1) W2 + b2)), and iris_keras (no
 * oracle: valid probability rows, batch equals single calls).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/loader/golden_util.h"

/* Read a float checkpoint tensor into a malloc'ed double array. */
static double *read_weights(ldr_bundle *b, const char *layer, const char *what, int64_t *rows,
                            int64_t *cols)
{
    char key[256];
    snprintf(key, sizeof key, "%s/%s/.ATTRIBUTES/VARIABLE_VALUE", layer, what);
    eng_tensor t;
    tsd_status st = TSD_STATUS_INIT;
    if (ldr_bundle_read_slice(b, key, "", &t, &st) != TSD_OK)
        fail_msg("%s: %s", key, st.msg);
    assert_int_equal(t.dtype, ENG_DT_FLOAT);
    *rows = t.rank >= 1 ? t.dims[0] : 1;
    *cols = t.rank == 2 ? t.dims[1] : 1;
    int64_t n = eng_tensor_num_elements(&t);
    double *w = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        w[i] = ((float *)t.data)[i];
    eng_tensor_free_data(&t);
    return w;
}

/* out[c] = act(sum_r in[r] * W[r][c] + bias[c]); act 0 = relu, 1 = sigmoid. */
static void dense(const double *in, int64_t nin, const double *w, const double *bias, int64_t nout,
                  int act, double *out)
{
    for (int64_t c = 0; c < nout; c++) {
        double s = bias[c];
        for (int64_t r = 0; r < nin; r++)
            s += in[r] * w[r * nout + c];
        out[c] = act == 0 ? (s > 0 ? s : 0) : 1.0 / (1.0 + exp(-s));
    }
}

static void test_keras_single_input(void **state)
{
    (void)state;
    ldr_model *m = gold_load("models/keras/keras_single_input/1");
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = ldr_saved_model_bundle((ldr_saved_model *)ldr_model_saved_model(m), &st);
    assert_non_null(b);
    double *w[3], *bias[3];
    int64_t r[3], cc[3], br, bc;
    for (int l = 0; l < 3; l++) {
        char layer[64];
        snprintf(layer, sizeof layer, "layer_with_weights-%d", l);
        w[l] = read_weights(b, layer, "kernel", &r[l], &cc[l]);
        bias[l] = read_weights(b, layer, "bias", &br, &bc);
        assert_int_equal(br, cc[l]);
    }
    assert_int_equal(r[0], 5);
    assert_int_equal(cc[2], 1);
    gold_close(bias[2][0], 0.001, 0.05, "last bias (models.md: 0.001)");

    enum { N = 7 };
    float x[N * 5];
    for (int i = 0; i < N * 5; i++)
        x[i] = (float)((i * 7919 % 23) - 11) / 4.0f; /* spread over [-2.75, 2.75] */
    int64_t dims[] = {N, 5};
    eng_tensor in = gold_f32(x, 2, dims), out;
    eng_call *c = eng_call_new();
    gold_run(m, "serving_default", &in, &out, c);
    assert_int_equal(out.rank, 2);
    assert_int_equal(out.dims[0], N);
    assert_int_equal(out.dims[1], 1);
    for (int i = 0; i < N; i++) {
        double a0[5], h0[8], h1[8], y;
        for (int k = 0; k < 5; k++)
            a0[k] = x[i * 5 + k];
        dense(a0, 5, w[0], bias[0], cc[0], 0, h0);
        dense(h0, cc[0], w[1], bias[1], cc[1], 0, h1);
        dense(h1, cc[1], w[2], bias[2], 1, 1, &y);
        gold_close(((float *)out.data)[i], y, 1e-5, "keras_single_input vs naive forward");
    }
    for (int l = 0; l < 3; l++) {
        free(w[l]);
        free(bias[l]);
    }
    eng_call_free(c);
    ldr_model_free(m);
}

static void test_iris_keras(void **state)
{
    (void)state;
    ldr_model *m = gold_load("models/keras/iris_keras/8");
    static const double rows[4][4] = {
        {5.1, 3.5, 1.4, 0.2}, {6.4, 3.2, 4.5, 1.5}, {6.3, 3.3, 6.0, 2.5}, {5.9, 3.0, 5.1, 1.8}};
    eng_str exs[4];
    for (int i = 0; i < 4; i++)
        exs[i] = gold_example('f', "sepal_length", rows[i][0], 'f', "sepal_width", rows[i][1], 'f',
                              "petal_length", rows[i][2], 'f', "petal_width", rows[i][3], 0);
    eng_call *c = eng_call_new();
    eng_tensor in = gold_strs(exs, 4), out;
    gold_run(m, "serving_default", &in, &out, c);
    assert_int_equal(out.rank, 2);
    assert_int_equal(out.dims[0], 4);
    assert_int_equal(out.dims[1], 3);
    float batch[12];
    memcpy(batch, out.data, sizeof batch);
    for (int i = 0; i < 4; i++) {
        double sum = 0;
        for (int k = 0; k < 3; k++) {
            assert_true(batch[i * 3 + k] >= 0.0f && batch[i * 3 + k] <= 1.0f);
            sum += batch[i * 3 + k];
        }
        gold_close(sum, 1.0, 1e-5, "iris_keras softmax row sum");
        in = gold_strs(&exs[i], 1);
        gold_run(m, "serving_default", &in, &out, c);
        for (int k = 0; k < 3; k++)
            gold_close(((float *)out.data)[k], batch[i * 3 + k], 1e-5, "single vs batch");
    }
    /* a missing required feature is an error, not a crash */
    eng_str bad = gold_example('f', "sepal_length", 5.0, 0);
    in = gold_strs(&bad, 1);
    tsd_status st = TSD_STATUS_INIT;
    const eng_plan *p = ldr_model_plan(m, "serving_default", &st);
    assert_non_null(p);
    assert_int_not_equal(eng_plan_run(p, c, &in, &out, &st), TSD_OK);
    assert_int_equal(st.code, TSD_INVALID_ARGUMENT);
    free((void *)bad.ptr);
    for (int i = 0; i < 4; i++)
        free((void *)exs[i].ptr);
    eng_call_free(c);
    ldr_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keras_single_input),
        cmocka_unit_test(test_iris_keras),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
