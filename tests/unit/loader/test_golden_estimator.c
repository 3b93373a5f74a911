/*
 * test_golden_estimator.c - Estimator exports end to end: census wide &
 * deep (exact upstream scores), iris_linear (upstream class, a naive linear
 * model computed here from the checkpoint weights, accuracy bound over
 * iris.csv), and the two taxi models on the real TFRecord shard (valid
 * probabilities; batch of 424 equals 424 single calls).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/loader/golden_util.h"

#define CENSUS "models/estimator/census_wide_deep/1527087570"
#define IRIS "models/estimator/iris_linear/1"

/* Census cases of models.md 3.8 (numbers as float features). */
static eng_str census_case(char which)
{
    if (which == 'A')
        return gold_example('f', "age", 25.0, 'f', "capital_gain", 0.0, 'f', "capital_loss", 0.0,
                            's', "education", "11th", 'f', "education_num", 7.0, 's', "gender",
                            "Male", 'f', "hours_per_week", 40.0, 's', "native_country",
                            "United-States", 's', "occupation", "Machine-op-inspct", 's',
                            "relationship", "Own-child", 's', "workclass", "Private", 0);
    return gold_example('f', "age", 35.0, 'f', "capital_gain", 0.0, 'f', "capital_loss", 0.0, 's',
                        "education", "Masters", 'f', "education_num", 14.0, 's', "gender",
                        which == 'B' ? "Male" : "Female", 'f', "hours_per_week", 29.0, 's',
                        "native_country", "United-States", 's', "occupation", "Prof-specialty", 's',
                        "relationship", which == 'B' ? "Wife" : "Husband", 's', "workclass",
                        "Private", 0);
}

static void test_census_classify(void **state)
{
    (void)state;
    ldr_model *m = gold_load(CENSUS);
    static const struct {
        char which;
        float s0, s1;
    } cases[] = {{'A', 0.9860167f, 0.013983363f},
                 {'B', 0.48914605f, 0.5108539f},
                 {'C', 0.54612064f, 0.45387936f}};
    int ic = gold_out(m, "serving_default", "classes");
    int is = gold_out(m, "serving_default", "scores");
    eng_call *c = eng_call_new();
    for (size_t k = 0; k < 3; k++) {
        eng_str ex = census_case(cases[k].which);
        eng_tensor in = gold_strs(&ex, 1), out[2];
        gold_run(m, "serving_default", &in, out, c);
        assert_int_equal(out[is].rank, 2);
        assert_int_equal(out[is].dims[0], 1);
        assert_int_equal(out[is].dims[1], 2);
        const float *s = out[is].data;
        gold_close(s[0], cases[k].s0, 1e-5, "census score 0");
        gold_close(s[1], cases[k].s1, 1e-5, "census score 1");
        assert_int_equal(out[ic].dtype, ENG_DT_STRING);
        assert_string_equal(gold_cstr(&out[ic], 0), "0");
        assert_string_equal(gold_cstr(&out[ic], 1), "1");
        /* the same through the "classification" signature */
        gold_run(m, "classification", &in, out, c);
        gold_close(((float *)out[is].data)[1], cases[k].s1, 1e-5, "classification score 1");
        free((void *)ex.ptr);
    }
    eng_call_free(c);
    ldr_model_free(m);
}

static void test_census_regress_batch_predict(void **state)
{
    (void)state;
    ldr_model *m = gold_load(CENSUS);
    eng_call *c = eng_call_new();
    eng_str exs[2] = {census_case('C'), census_case('B')};
    eng_tensor in = gold_strs(exs, 1), out[5];
    gold_run(m, "regression", &in, out, c);
    assert_int_equal(eng_tensor_num_elements(&out[0]), 1);
    gold_close(((float *)out[0].data)[0], 0.4538794f, 1e-5, "census regress C");

    /* batch [C, B] */
    in = gold_strs(exs, 2);
    int is = gold_out(m, "serving_default", "scores");
    gold_run(m, "serving_default", &in, out, c);
    const float want[] = {0.54612094f, 0.4538791f, 0.4891459f, 0.5108541f};
    assert_int_equal(out[is].dims[0], 2);
    for (int i = 0; i < 4; i++)
        gold_close(((float *)out[is].data)[i], want[i], 1e-5, "census batch");

    /* predict: class_ids/logistic/probabilities agree with each other */
    gold_run(m, "predict", &in, out, c);
    int iid = gold_out(m, "predict", "class_ids");
    int icl = gold_out(m, "predict", "classes");
    int ilg = gold_out(m, "predict", "logistic");
    int ipr = gold_out(m, "predict", "probabilities");
    int ilt = gold_out(m, "predict", "logits");
    const int64_t *ids = out[iid].data;
    const float *lg = out[ilg].data, *pr = out[ipr].data, *lt = out[ilt].data;
    for (int r = 0; r < 2; r++) {
        gold_close(pr[2 * r + 1], lg[r], 1e-6, "probabilities[1] == logistic");
        gold_close(pr[2 * r] + pr[2 * r + 1], 1.0, 1e-6, "probabilities sum");
        gold_close(lg[r], 1.0 / (1.0 + exp(-(double)lt[r])), 1e-5, "logistic == sigmoid(logit)");
        assert_int_equal(ids[r], pr[2 * r + 1] > pr[2 * r] ? 1 : 0);
        assert_string_equal(gold_cstr(&out[icl], r), ids[r] ? "1" : "0");
    }
    gold_close(lg[0], 0.4538791f, 1e-5, "predict logistic C");
    assert_int_equal(ids[0], 0); /* C: 0.546 vs 0.454 */
    assert_int_equal(ids[1], 1); /* B: 0.489 vs 0.511 */
    free((void *)exs[0].ptr);
    free((void *)exs[1].ptr);
    eng_call_free(c);
    ldr_model_free(m);
}

/* ---- iris_linear -------------------------------------------------------------------- */

static const char *const iris_feats[4] = {"sepal_length", "sepal_width", "petal_length",
                                          "petal_width"};
static const double iris_mean[4] = {5.843333333333332, 3.0540000000000007, 3.7586666666666675,
                                    1.1986666666666665};
static const double iris_std[4] = {0.8253012917851413, 0.43214658007054363, 1.7585291834055217,
                                   0.7606126185881715};

static eng_str iris_example(const double raw[4])
{
    double z[4];
    for (int i = 0; i < 4; i++)
        z[i] = (raw[i] - iris_mean[i]) / iris_std[i];
    return gold_example('f', iris_feats[0], z[0], 'f', iris_feats[1], z[1], 'f', iris_feats[2],
                        z[2], 'f', iris_feats[3], z[3], 0);
}

/* softmax(bias + sum_f x_f * w_f) from the checkpoint, in double. */
static void iris_naive(ldr_bundle *b, const double raw[4], double prob[3])
{
    eng_tensor t;
    double logit[3];
    assert_int_equal(ldr_bundle_read_slice(b, "linear/linear_model/bias_weights", "", &t, NULL),
                     TSD_OK);
    for (int k = 0; k < 3; k++)
        logit[k] = ((float *)t.data)[k];
    eng_tensor_free_data(&t);
    for (int f = 0; f < 4; f++) {
        char key[128];
        snprintf(key, sizeof key, "linear/linear_model/%s/weights", iris_feats[f]);
        assert_int_equal(ldr_bundle_read_slice(b, key, "", &t, NULL), TSD_OK);
        assert_int_equal(eng_tensor_num_elements(&t), 3);
        double z = (float)((raw[f] - iris_mean[f]) / iris_std[f]);
        for (int k = 0; k < 3; k++)
            logit[k] += z * ((float *)t.data)[k];
        eng_tensor_free_data(&t);
    }
    double mx = fmax(logit[0], fmax(logit[1], logit[2])), sum = 0;
    for (int k = 0; k < 3; k++)
        sum += (prob[k] = exp(logit[k] - mx));
    for (int k = 0; k < 3; k++)
        prob[k] /= sum;
}

static void test_iris_linear(void **state)
{
    (void)state;
    ldr_model *m = gold_load(IRIS);
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = ldr_saved_model_bundle((ldr_saved_model *)ldr_model_saved_model(m), &st);
    assert_non_null(b);
    eng_call *c = eng_call_new();
    int iid = gold_out(m, "predict", "class_ids");
    int ipr = gold_out(m, "predict", "probabilities");

    /* the scio example: class 0, derived probabilities */
    const double scio[4] = {5.1, 3.5, 1.4, 0.2};
    eng_str ex = iris_example(scio);
    eng_tensor in = gold_strs(&ex, 1), out[4];
    gold_run(m, "predict", &in, out, c);
    assert_int_equal(((int64_t *)out[iid].data)[0], 0);
    const float *p = out[ipr].data;
    const double derived[3] = {0.92674, 0.06606, 0.00720};
    for (int k = 0; k < 3; k++)
        gold_close(p[k], derived[k], 1e-3, "iris scio probability (5-digit derived)");
    double naive[3];
    iris_naive(b, scio, naive);
    for (int k = 0; k < 3; k++)
        gold_close(p[k], naive[k], 1e-5, "iris scio vs naive linear model");
    free((void *)ex.ptr);

    /* accuracy over iris.csv */
    char *csv = tsd_test_read_file(tsd_test_path("models/inputs/iris.csv"), NULL);
    assert_non_null(csv);
    int total = 0, correct = 0, agree = 0;
    char *save = NULL;
    for (char *line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        double raw[4];
        char cls[64];
        if (sscanf(line, "%lf,%lf,%lf,%lf,%63s", &raw[0], &raw[1], &raw[2], &raw[3], cls) != 5)
            continue;
        int label = strstr(cls, "setosa") ? 0 : strstr(cls, "versicolor") ? 1 : 2;
        ex = iris_example(raw);
        in = gold_strs(&ex, 1);
        gold_run(m, "predict", &in, out, c);
        int64_t id = ((int64_t *)out[iid].data)[0];
        iris_naive(b, raw, naive);
        int nid = naive[0] >= naive[1] && naive[0] >= naive[2] ? 0 : naive[1] >= naive[2] ? 1 : 2;
        agree += id == nid;
        correct += id == label;
        total++;
        free((void *)ex.ptr);
    }
    free(csv);
    assert_int_equal(total, 150);
    assert_true(correct > 120); /* accuracy > 0.8 (upstream); derived 128/150 */
    assert_int_equal(agree, 150);
    eng_call_free(c);
    ldr_model_free(m);
}

/* ---- taxi models on the TFRecord shard ---------------------------------------------- */

#define TAXI_N 424

/* Read all records of the eval shard (malloc'ed copies). */
static size_t taxi_examples(eng_str *out, size_t max)
{
    ldr_tfrecord *r;
    tsd_status st = TSD_STATUS_INIT;
    if (ldr_tfrecord_open(tsd_test_path("models/inputs/taxi_eval_examples.tfrecord.gz"), &r, &st) !=
        TSD_OK)
        fail_msg("tfrecord: %s", st.msg);
    size_t n = 0;
    const uint8_t *data;
    size_t len;
    tsd_code rc;
    while ((rc = ldr_tfrecord_next(r, &data, &len, 0, &st)) == TSD_OK && n < max) {
        char *copy = malloc(len + 1);
        memcpy(copy, data, len);
        out[n++] = (eng_str){copy, len};
    }
    assert_int_equal(rc, TSD_OUT_OF_RANGE);
    ldr_tfrecord_close(r);
    return n;
}

static void check_taxi(const char *dir)
{
    static eng_str exs[TAXI_N + 1];
    size_t n = taxi_examples(exs, TAXI_N + 1);
    assert_int_equal(n, TAXI_N);
    ldr_model *m = gold_load(dir);
    int is = gold_out(m, "serving_default", "scores");
    eng_call *c = eng_call_new();
    eng_tensor in = gold_strs(exs, TAXI_N), out[2];
    gold_run(m, "serving_default", &in, out, c);
    assert_int_equal(out[is].rank, 2);
    assert_int_equal(out[is].dims[0], TAXI_N);
    assert_int_equal(out[is].dims[1], 2);
    float *batch = malloc(sizeof(float) * 2 * TAXI_N);
    memcpy(batch, out[is].data, sizeof(float) * 2 * TAXI_N);
    for (size_t i = 0; i < TAXI_N; i++) {
        float p0 = batch[2 * i], p1 = batch[2 * i + 1];
        assert_true(p0 >= 0.0f && p0 <= 1.0f && p1 >= 0.0f && p1 <= 1.0f);
        gold_close(p0 + p1, 1.0, 1e-5, "taxi probabilities sum");
    }
    for (size_t i = 0; i < TAXI_N; i++) {
        in = gold_strs(&exs[i], 1);
        gold_run(m, "serving_default", &in, out, c);
        const float *s = out[is].data;
        if (fabsf(s[0] - batch[2 * i]) > 1e-6f || fabsf(s[1] - batch[2 * i + 1]) > 1e-6f)
            fail_msg("%s: example %zu alone gives [%.9g, %.9g], in the batch [%.9g, %.9g]", dir, i,
                     s[0], s[1], batch[2 * i], batch[2 * i + 1]);
    }
    free(batch);
    for (size_t i = 0; i < n; i++)
        free((void *)exs[i].ptr);
    eng_call_free(c);
    ldr_model_free(m);
}

static void test_taxi_wide_deep_tft(void **state)
{
    (void)state;
    check_taxi("models/estimator/taxi_wide_deep_tft/1646034756");
}

static void test_taxi_dnn(void **state)
{
    (void)state;
    check_taxi("models/estimator/taxi_dnn/1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_census_classify), cmocka_unit_test(test_census_regress_batch_predict),
        cmocka_unit_test(test_iris_linear),     cmocka_unit_test(test_taxi_wide_deep_tft),
        cmocka_unit_test(test_taxi_dnn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
