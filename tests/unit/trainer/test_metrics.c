/*
 * test_metrics.c - the binary head's eval metrics: Keras' documented AUC
 * example (3 thresholds, labels [0,0,1,1], predictions [0,0.5,0.3,0.9] ->
 * 0.75), ROC AUC over 200 thresholds against the exact rank statistic
 * computed here, a perfect classifier, and accuracy / precision / recall /
 * means on a small example worked out by hand (weighted and not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "trainer/trainer.h"

static void test_keras_doc_example(void **state)
{
    (void)state;
    const float y[4] = {0, 0, 1, 1}, p[4] = {0.0f, 0.5f, 0.3f, 0.9f};
    trn_binary_metrics m;
    trn_binary_metrics_compute(p, y, NULL, NULL, 4, 3, &m);
    assert_true(fabs(m.auc - 0.75) < 1e-9);
}

/* Exact ROC AUC: P(score of a positive > score of a negative), ties 1/2. */
static double exact_auc(const float *p, const float *y, int n)
{
    double num = 0, pairs = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (y[i] > 0.5f && y[j] < 0.5f) {
                pairs += 1;
                num += p[i] > p[j] ? 1.0 : p[i] == p[j] ? 0.5 : 0.0;
            }
    return num / pairs;
}

static void test_roc_against_rank_statistic(void **state)
{
    (void)state;
    enum { N = 2000 };
    static float p[N], y[N];
    uint64_t s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(s >> 11) / 9007199254740992.0;
        y[i] = u < 0.3 ? 1.0f : 0.0f;
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double v = (double)(s >> 11) / 9007199254740992.0;
        p[i] = (float)(y[i] > 0.5f ? 0.35 + 0.6 * v : 0.65 * v); /* overlapping scores */
    }
    trn_binary_metrics m;
    trn_binary_metrics_compute(p, y, NULL, NULL, N, 200, &m);
    double ex = exact_auc(p, y, N);
    assert_true(ex > 0.6 && ex < 0.99);
    assert_true(fabs(m.auc - ex) < 0.01);
    assert_true(m.auc_precision_recall > 0.3 && m.auc_precision_recall < 1.0);
}

static void test_perfect(void **state)
{
    (void)state;
    const float y[6] = {0, 1, 0, 1, 1, 0}, p[6] = {0.1f, 0.8f, 0.2f, 0.95f, 0.7f, 0.3f};
    trn_binary_metrics m;
    trn_binary_metrics_compute(p, y, NULL, NULL, 6, 200, &m);
    assert_true(fabs(m.auc - 1.0) < 1e-9);
    assert_true(fabs(m.auc_precision_recall - 1.0) < 1e-6);
    assert_true(m.accuracy == 1.0 && m.precision == 1.0 && m.recall == 1.0);
}

static void test_by_hand(void **state)
{
    (void)state;
    const float y[5] = {1, 0, 1, 0, 1}, p[5] = {0.9f, 0.6f, 0.4f, 0.2f, 0.7f};
    const float l[5] = {0.1f, 0.9f, 0.9f, 0.2f, 0.4f};
    trn_binary_metrics m;
    trn_binary_metrics_compute(p, y, NULL, l, 5, 200, &m);
    assert_true(fabs(m.accuracy - 0.6) < 1e-9);
    assert_true(fabs(m.precision - 2.0 / 3.0) < 1e-9);
    assert_true(fabs(m.recall - 2.0 / 3.0) < 1e-9);
    assert_true(fabs(m.label_mean - 0.6) < 1e-9);
    assert_true(fabs(m.accuracy_baseline - 0.6) < 1e-9);
    assert_true(fabs(m.prediction_mean - 0.56) < 1e-6);
    assert_true(fabs(m.average_loss - 0.5) < 1e-6);
    /* weights: the second example counts twice */
    const float w[5] = {1, 2, 1, 1, 1};
    trn_binary_metrics_compute(p, y, w, l, 5, 200, &m);
    assert_true(fabs(m.accuracy - 0.5) < 1e-9);         /* (1+0+0+1+1)/6 */
    assert_true(fabs(m.precision - 0.5) < 1e-9);        /* 2/(2+2) */
    assert_true(fabs(m.label_mean - 0.5) < 1e-9);       /* 3/6 */
    assert_true(fabs(m.average_loss - 3.4 / 6) < 1e-6); /* (0.1+1.8+0.9+0.2+0.4)/6 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keras_doc_example),
        cmocka_unit_test(test_roc_against_rank_statistic),
        cmocka_unit_test(test_perfect),
        cmocka_unit_test(test_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
