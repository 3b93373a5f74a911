/*
 * test_dnn.c - the trainer's DNN classifier end to end on the UCI Adult
 * census data (numeric features, normalized in the graph with the training
 * set's mean and deviation as numeric_column's normalizer; label income >
 * 50K): training lowers the loss and beats the
 * majority class on the test set clearly, global_step counts the steps, a
 * checkpoint restored into a fresh model gives identical predictions and
 * the same global_step, training resumes from it, retention keeps the
 * newest checkpoints only, evaluate() reports TF's metrics and writes them
 * to eval/ as an event file, training writes loss, global_step/sec and
 * checkpoint events, the exported SavedModel loads and its classify,
 * regress and predict signatures answer what the trainer predicts, and bad
 * configurations are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "loader/loader.h"
#include "tensorflow/core/example/example.pb-c.h"
#include "tensorflow/core/util/event.pb-c.h"
#include "tests/unit/test_util.h"
#include "trainer/trainer.h"

enum { NF = 5 };

typedef struct data {
    float *x, *y;
    int64_t n;
} data;

/* age, education_num, capital_gain, capital_loss, hours_per_week; >50K. */
static data load(const char *rel)
{
    data d = {0};
    size_t len;
    char *text = tsd_test_read_file(tsd_test_path(rel), &len);
    assert_non_null(text);
    int64_t cap = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *f[15];
        int nf = 0;
        for (char *p = line; nf < 15; nf++) {
            f[nf] = p;
            char *c = strchr(p, ',');
            if (!c) {
                nf++;
                break;
            }
            *c = '\0';
            p = c + 1;
        }
        if (nf != 15)
            continue;
        if (d.n == cap) {
            cap = cap ? cap * 2 : 1024;
            d.x = realloc(d.x, (size_t)cap * NF * sizeof *d.x);
            d.y = realloc(d.y, (size_t)cap * sizeof *d.y);
        }
        static const int cols[NF] = {0, 4, 10, 11, 12};
        for (int k = 0; k < NF; k++)
            d.x[d.n * NF + k] = strtof(f[cols[k]], NULL);
        d.y[d.n] = strstr(f[14], ">50K") ? 1.0f : 0.0f;
        d.n++;
    }
    free(text);
    return d;
}

static data train_set, test_set;
static float norm_mean[NF], norm_std[NF];
static const char *const names[NF] = {"age", "education_num", "capital_gain", "capital_loss",
                                      "hours_per_week"};

static int setup(void **state)
{
    (void)state;
    train_set = load("datasets/census/adult.data.csv");
    test_set = load("datasets/census/adult.test.csv");
    /* the training set's mean and deviation */
    double mean[NF] = {0}, sd[NF] = {0};
    for (int64_t i = 0; i < train_set.n; i++)
        for (int k = 0; k < NF; k++)
            mean[k] += train_set.x[i * NF + k] / (double)train_set.n;
    for (int64_t i = 0; i < train_set.n; i++)
        for (int k = 0; k < NF; k++) {
            double dv = train_set.x[i * NF + k] - mean[k];
            sd[k] += dv * dv / (double)train_set.n;
        }
    for (int k = 0; k < NF; k++) { /* applied in the graph (normalizer) */
        norm_mean[k] = (float)mean[k];
        norm_std[k] = (float)sqrt(sd[k]);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(train_set.x);
    free(train_set.y);
    free(test_set.x);
    free(test_set.y);
    return 0;
}

static double accuracy(trn_model *m, const data *d)
{
    float *p = malloc((size_t)d->n * sizeof *p);
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(trn_predict(m, d->x, d->n, p, &st), TSD_OK);
    int64_t ok = 0;
    for (int64_t i = 0; i < d->n; i++)
        ok += (p[i] > 0.5f) == (d->y[i] > 0.5f);
    free(p);
    return (double)ok / (double)d->n;
}

static const int hidden[2] = {16, 8};

static trn_model *new_model(void)
{
    trn_dnn_config c = {.n_features = NF,
                        .hidden_units = hidden,
                        .n_hidden = 2,
                        .learning_rate = 0.05f,
                        .seed = 42,
                        .feature_names = names,
                        .norm_mean = norm_mean,
                        .norm_std = norm_std};
    tsd_status st = TSD_STATUS_INIT;
    trn_model *m = trn_dnn_new(&c, &st);
    if (!m)
        fail_msg("new: %s", st.msg);
    return m;
}

/* Train `epochs` passes at batch 64; returns the mean loss of the first and
 * last 50 steps. */
static void train(trn_model *m, int epochs, double *first, double *last)
{
    tsd_status st = TSD_STATUS_INIT;
    const int64_t b = 64;
    int64_t steps = 0, per_epoch = train_set.n / b;
    double f = 0, l = 0;
    for (int e = 0; e < epochs; e++)
        for (int64_t s = 0; s < per_epoch; s++, steps++) {
            float loss;
            assert_int_equal(
                trn_train_step(m, train_set.x + s * b * NF, train_set.y + s * b, b, &loss, &st),
                TSD_OK);
            if (steps < 50)
                f += loss / 50.0;
            if (steps >= epochs * per_epoch - 50)
                l += loss / 50.0;
        }
    if (first)
        *first = f;
    if (last)
        *last = l;
}

static void test_learns(void **state)
{
    (void)state;
    trn_model *m = new_model();
    assert_int_equal(trn_global_step(m), 0);
    double majority = 0;
    for (int64_t i = 0; i < test_set.n; i++)
        majority += test_set.y[i] < 0.5f;
    majority /= (double)test_set.n;
    double before = accuracy(m, &test_set), first, last;
    train(m, 2, &first, &last);
    double after = accuracy(m, &test_set);
    print_message("census numeric DNN: loss %.4f -> %.4f, test accuracy %.4f (majority %.4f, "
                  "untrained %.4f)\n",
                  first, last, after, majority, before);
    assert_true(last < first * 0.8);
    assert_true(after > majority + 0.03);
    assert_int_equal(trn_global_step(m), 2 * (train_set.n / 64));
    trn_model_free(m);
}

static void test_checkpoint_resume(void **state)
{
    (void)state;
    char dir[512], path[700];
    snprintf(dir, sizeof dir, "%s/model_dir", tsd_test_tmpdir());
    mkdir(dir, 0700);
    tsd_status st = TSD_STATUS_INIT;
    trn_model *m = new_model();
    assert_int_equal(trn_restore(m, dir, &st), TSD_NOT_FOUND); /* fresh start */
    float x[4 * NF], y[4] = {0, 1, 0, 1}, p1[64], p2[64];
    memcpy(x, test_set.x, sizeof x);
    for (int round = 0; round < 4; round++) {
        for (int s = 0; s < 25; s++)
            assert_int_equal(
                trn_train_step(m, train_set.x + s * 64 * NF, train_set.y + s * 64, 64, NULL, &st),
                TSD_OK);
        assert_int_equal(trn_save(m, dir, 3, &st), TSD_OK);
    }
    assert_int_equal(trn_global_step(m), 100);
    /* keep 3: model.ckpt-25 is gone, 50/75/100 remain */
    snprintf(path, sizeof path, "%s/model.ckpt-25.index", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/model.ckpt-50.index", dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(trn_predict(m, test_set.x, 64, p1, &st), TSD_OK);
    /* a fresh model from the checkpoint answers the same and continues */
    trn_model *r = new_model();
    assert_int_equal(trn_restore(r, dir, &st), TSD_OK);
    assert_int_equal(trn_global_step(r), 100);
    assert_int_equal(trn_predict(r, test_set.x, 64, p2, &st), TSD_OK);
    assert_memory_equal(p1, p2, sizeof p1);
    assert_int_equal(trn_train_step(r, x, y, 4, NULL, &st), TSD_OK);
    assert_int_equal(trn_train_step(m, x, y, 4, NULL, &st), TSD_OK);
    assert_int_equal(trn_predict(m, test_set.x, 64, p1, &st), TSD_OK);
    assert_int_equal(trn_predict(r, test_set.x, 64, p2, &st), TSD_OK);
    assert_memory_equal(p1, p2, sizeof p1); /* optimizer slots were restored too */
    assert_int_equal(trn_save(r, dir, 3, &st), TSD_OK);
    snprintf(path, sizeof path, "%s/model.ckpt-50.index", dir);
    assert_int_not_equal(access(path, F_OK), 0); /* retention continued after restore */
    trn_model_free(m);
    trn_model_free(r);
}

/* evaluate(): TF's metric keys over the test set, and the eval event file. */
static void test_evaluate(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/eval_dir", tsd_test_tmpdir());
    mkdir(dir, 0700);
    trn_model *m = new_model();
    train(m, 1, NULL, NULL);
    tsd_status st = TSD_STATUS_INIT;
    trn_binary_metrics r;
    assert_int_equal(trn_evaluate(m, test_set.x, test_set.y, test_set.n, 512, dir, &r, &st),
                     TSD_OK);
    print_message("evaluate: accuracy %.4f baseline %.4f auc %.4f auc_pr %.4f precision %.4f "
                  "recall %.4f average_loss %.4f loss %.4f\n",
                  r.accuracy, r.accuracy_baseline, r.auc, r.auc_precision_recall, r.precision,
                  r.recall, r.average_loss, r.loss);
    assert_true(fabs(r.accuracy - accuracy(m, &test_set)) < 1e-9);
    assert_true(r.auc > 0.75 && r.auc <= 1.0);
    assert_true(r.accuracy_baseline > 0.75 && r.accuracy_baseline < 0.77);
    assert_true(fabs(r.average_loss - r.loss) < 0.01); /* equal-size batches but the last */
    assert_int_equal(r.global_step, train_set.n / 64);
    /* the eval event file: first record file_version, then the summary */
    char evdir[600], path[1200] = "";
    snprintf(evdir, sizeof evdir, "%s/eval", dir);
    DIR *d = opendir(evdir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, "tfevents"))
            snprintf(path, sizeof path, "%s/%s", evdir, e->d_name);
    closedir(d);
    assert_true(path[0]);
    ldr_tfrecord *rec = NULL;
    assert_int_equal(ldr_tfrecord_open(path, &rec, &st), TSD_OK);
    const uint8_t *bytes;
    size_t len;
    assert_int_equal(ldr_tfrecord_next(rec, &bytes, &len, 0, &st), TSD_OK);
    assert_int_equal(ldr_tfrecord_next(rec, &bytes, &len, 0, &st), TSD_OK);
    Tensorflow__Event *ev = tensorflow__event__unpack(NULL, len, bytes);
    assert_non_null(ev);
    assert_int_equal(ev->step, r.global_step);
    assert_int_equal(ev->what_case, TENSORFLOW__EVENT__WHAT_SUMMARY);
    int found = 0;
    for (size_t i = 0; i < ev->summary->n_value; i++)
        if (strcmp(ev->summary->value[i]->tag, "auc") == 0) {
            found = 1;
            assert_true(ev->summary->value[i]->simple_value == (float)r.auc);
        }
    assert_true(found);
    tensorflow__event__free_unpacked(ev, NULL);
    ldr_tfrecord_close(rec);
    trn_model_free(m);
}

/* Training events: loss at steps 0, 100, 200, global_step/sec after the
 * first, a CHECKPOINT session log at the save. */
static void test_summaries(void **state)
{
    (void)state;
    char dir[512], path[1200] = "";
    snprintf(dir, sizeof dir, "%s/summary_dir", tsd_test_tmpdir());
    mkdir(dir, 0700);
    tsd_status st = TSD_STATUS_INIT;
    trn_model *m = new_model();
    assert_int_equal(trn_set_summary_dir(m, dir, 100, &st), TSD_OK);
    for (int s = 0; s < 250; s++)
        assert_int_equal(
            trn_train_step(m, train_set.x + s * 64 * NF, train_set.y + s * 64, 64, NULL, &st),
            TSD_OK);
    assert_int_equal(trn_save(m, dir, 5, &st), TSD_OK);
    trn_model_free(m);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (strstr(e->d_name, "tfevents"))
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (d)
        closedir(d);
    assert_true(path[0]);
    ldr_tfrecord *rec = NULL;
    assert_int_equal(ldr_tfrecord_open(path, &rec, &st), TSD_OK);
    const uint8_t *bytes;
    size_t len;
    int64_t loss_steps[8];
    int nloss = 0, nrate = 0, nckpt = 0, nrec = 0;
    while (ldr_tfrecord_next(rec, &bytes, &len, 0, &st) == TSD_OK) {
        Tensorflow__Event *ev = tensorflow__event__unpack(NULL, len, bytes);
        assert_non_null(ev);
        if (nrec++ == 0)
            assert_string_equal(ev->file_version, "brain.Event:2");
        if (ev->what_case == TENSORFLOW__EVENT__WHAT_SUMMARY) {
            for (size_t i = 0; i < ev->summary->n_value; i++) {
                if (!strcmp(ev->summary->value[i]->tag, "loss") && nloss < 8)
                    loss_steps[nloss++] = ev->step;
                if (!strcmp(ev->summary->value[i]->tag, "global_step/sec")) {
                    nrate++;
                    assert_true(ev->summary->value[i]->simple_value > 0);
                }
            }
        }
        if (ev->what_case == TENSORFLOW__EVENT__WHAT_SESSION_LOG) {
            nckpt++;
            assert_int_equal(ev->step, 250);
            assert_non_null(strstr(ev->session_log->checkpoint_path, "model.ckpt-250"));
        }
        tensorflow__event__free_unpacked(ev, NULL);
    }
    ldr_tfrecord_close(rec);
    assert_int_equal(nloss, 3);
    assert_int_equal(loss_steps[0], 0);
    assert_int_equal(loss_steps[1], 100);
    assert_int_equal(loss_steps[2], 200);
    assert_int_equal(nrate, 2);
    assert_int_equal(nckpt, 1);
}

/* Serialize row i of d as a tf.Example with the float features by name. */
static size_t example(const data *d, int64_t i, uint8_t *buf)
{
    Tensorflow__Feature f[NF];
    Tensorflow__FloatList fl[NF];
    float v[NF];
    Tensorflow__Features__FeatureEntry e[NF], *pe[NF];
    for (int k = 0; k < NF; k++) {
        tensorflow__float_list__init(&fl[k]);
        v[k] = d->x[i * NF + k];
        fl[k].n_value = 1;
        fl[k].value = &v[k];
        tensorflow__feature__init(&f[k]);
        f[k].kind_case = TENSORFLOW__FEATURE__KIND_FLOAT_LIST;
        f[k].float_list = &fl[k];
        tensorflow__features__feature_entry__init(&e[k]);
        e[k].key = (char *)names[k];
        e[k].value = &f[k];
        pe[k] = &e[k];
    }
    Tensorflow__Features fs = TENSORFLOW__FEATURES__INIT;
    fs.n_feature = NF;
    fs.feature = pe;
    Tensorflow__Example ex = TENSORFLOW__EXAMPLE__INIT;
    ex.features = &fs;
    return tensorflow__example__pack(&ex, buf);
}

/* The exported SavedModel loads with the same loader tensord uses and its
 * signatures answer what the trainer predicts. */
static void test_export(void **state)
{
    (void)state;
    char base[512];
    /* TSD_EXPORT_BASE: export there and keep it, with the trainer's own
     * predictions for the first rows, for the tensord test to serve */
    const char *keep = getenv("TSD_EXPORT_BASE");
    snprintf(base, sizeof base, "%s", keep ? keep : "");
    if (!keep)
        snprintf(base, sizeof base, "%s/export", tsd_test_tmpdir());
    trn_model *m = new_model();
    train(m, 1, NULL, NULL);
    tsd_status st = TSD_STATUS_INIT;
    char *dir = NULL;
    if (trn_export(m, base, &dir, &st) != TSD_OK)
        fail_msg("export: %s", st.msg);
    const char *leaf = strrchr(dir, '/') + 1;
    assert_true(strspn(leaf, "0123456789") == strlen(leaf)); /* a version directory */
    ldr_model *lm = NULL;
    ldr_load_options lo = {NULL, 0, "exported"};
    if (ldr_model_load(dir, &lo, &lm, &st) != TSD_OK)
        fail_msg("load: %s", st.msg);
    enum { B = 16 };
    uint8_t bufs[B][256];
    eng_str ex[B];
    for (int i = 0; i < B; i++)
        ex[i] = (eng_str){(const char *)bufs[i], example(&test_set, i, bufs[i])};
    eng_tensor in = {.dtype = ENG_DT_STRING, .rank = 1, .data = ex, .nbytes = sizeof ex};
    in.dims[0] = B;
    float want[B];
    assert_int_equal(trn_predict(m, test_set.x, B, want, &st), TSD_OK);
    eng_call *c = eng_call_new();
    eng_tensor out[8];
    /* serving_default: classes ["0","1"], scores [1-p, p] */
    const eng_plan *p = ldr_model_plan(lm, "serving_default", &st);
    assert_non_null(p);
    if (eng_plan_run(p, c, &in, out, &st) != TSD_OK)
        fail_msg("classify: %s", st.msg);
    assert_int_equal(out[0].dtype, ENG_DT_STRING);
    assert_int_equal(out[0].dims[1], 2);
    const eng_str *cls = out[0].data;
    assert_memory_equal(cls[0].ptr, "0", 1);
    assert_memory_equal(cls[1].ptr, "1", 1);
    const float *scores = out[1].data;
    for (int i = 0; i < B; i++) {
        assert_true(fabsf(scores[2 * i + 1] - want[i]) < 1e-6f);
        assert_true(fabsf(scores[2 * i] + scores[2 * i + 1] - 1.0f) < 1e-6f);
    }
    /* regression: the logistic output itself */
    p = ldr_model_plan(lm, "regression", &st);
    assert_int_equal(eng_plan_run(p, c, &in, out, &st), TSD_OK);
    assert_memory_equal(out[0].data, want, sizeof want);
    /* predict: class_ids agree with the probabilities */
    p = ldr_model_plan(lm, "predict", &st);
    assert_int_equal(eng_plan_run(p, c, &in, out, &st), TSD_OK);
    const int64_t *ids = out[0].data;
    for (int i = 0; i < B; i++)
        assert_int_equal(ids[i], want[i] > 0.5f ? 1 : 0);
    if (keep) {
        char path[700];
        snprintf(path, sizeof path, "%s/expected.txt", base);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < NF; k++)
                fprintf(f, "%s=%.9g ", names[k], test_set.x[i * NF + k]);
            fprintf(f, "p=%.9g\n", want[i]);
        }
        fclose(f);
    }
    eng_call_free(c);
    ldr_model_free(lm);
    free(dir);
    trn_model_free(m);
}

static void test_bad_config(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    int bad[1] = {0};
    trn_dnn_config c = {
        .n_features = NF, .hidden_units = bad, .n_hidden = 1, .learning_rate = 0.05f};
    assert_null(trn_dnn_new(&c, &st));
    assert_non_null(strstr(st.msg, "hidden_units[0] must be positive"));
    trn_dnn_config c2 = {
        .n_features = 0, .hidden_units = hidden, .n_hidden = 2, .learning_rate = 0.05f};
    assert_null(trn_dnn_new(&c2, &st));
    trn_dnn_config c3 = {
        .n_features = NF, .hidden_units = hidden, .n_hidden = 2, .learning_rate = 0.0f};
    assert_null(trn_dnn_new(&c3, &st));
    float zero_std[NF] = {1, 1, 0, 1, 1};
    trn_dnn_config c4 = {.n_features = NF,
                         .hidden_units = hidden,
                         .n_hidden = 2,
                         .learning_rate = 0.05f,
                         .norm_mean = norm_mean,
                         .norm_std = zero_std};
    assert_null(trn_dnn_new(&c4, &st));
    assert_non_null(strstr(st.msg, "norm_std[2] must be positive"));
    assert_null(trn_dnn_new(&c3, &st));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns),   cmocka_unit_test(test_checkpoint_resume),
        cmocka_unit_test(test_evaluate), cmocka_unit_test(test_summaries),
        cmocka_unit_test(test_export),   cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
