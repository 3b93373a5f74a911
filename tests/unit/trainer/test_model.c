/*
 * test_model.c - the trainer's models end to end.
 *
 * Feature column semantics are checked against TensorFlow's documented
 * values through the weights one SGD step touches: a linear model's
 * gradient is non-zero exactly on the rows of the ids an example produced,
 * so hash buckets (a,b,c,d in 10 buckets -> 9,2,2,5), vocabulary ids and
 * OOV buckets, bucket ids, identity defaults and a three-way cross (83 of
 * 100, from TF's sparse_cross_op_test) show up as the rows that moved.
 *
 * On the UCI Adult census data: the DNN over TF's deep columns and the
 * linear model over its wide columns learn (beating the majority class
 * clearly after one epoch), global_step counts steps, a restored
 * checkpoint predicts identically, slots carry TF's names, evaluate()
 * reports TF's metric keys, training writes summaries, and the exported
 * SavedModel (vocabulary tables, label vocabulary) loads with the loader
 * tensord uses and answers what the trainer predicts. Multi-class (from
 * TFRecord) and regression heads learn synthetic data. Bad configs are
 * refused with a message naming the problem.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/loader.h"
#include "tensorflow/core/example/example.pb-c.h"
#include "tensorflow/core/util/event.pb-c.h"
#include "tests/unit/test_util.h"
#include "trainer/model_int.h" /* trn__data_examples: the rows as serialized */
#include "trainer/trainer.h"

static char tmp[256];

static const char *census_columns =
    "  column_names: [\"age\", \"workclass\", \"fnlwgt\", \"education\", \"education_num\",\n"
    "    \"marital_status\", \"occupation\", \"relationship\", \"race\", \"gender\",\n"
    "    \"capital_gain\", \"capital_loss\", \"hours_per_week\", \"native_country\",\n"
    "    \"income_bracket\"]\n"
    "  label_column: \"income_bracket\"\n"
    "  label_vocabulary: [\"<=50K\", \">50K\"]\n";

static const char *wide =
    "feature_columns { name: \"education\" part: \"linear\" vocabulary_list { vocabulary: "
    "[\"Bachelors\", \"HS-grad\", \"11th\", \"Masters\", \"9th\", \"Some-college\", "
    "\"Assoc-acdm\", \"Assoc-voc\", \"7th-8th\", \"Doctorate\", \"Prof-school\", \"5th-6th\", "
    "\"10th\", \"1st-4th\", \"Preschool\", \"12th\"] } }\n"
    "feature_columns { name: \"relationship\" part: \"linear\" vocabulary_list { vocabulary: "
    "[\"Husband\", \"Not-in-family\", \"Wife\", \"Own-child\", \"Unmarried\", "
    "\"Other-relative\"] } }\n"
    "feature_columns { name: \"occupation\" part: \"linear\" hash_bucket { hash_bucket_size: "
    "1000 } }\n"
    "feature_columns { name: \"age\" part: \"linear\" bucketized { boundaries: [18, 25, 30, 35, "
    "40, 45, 50, 55, 60, 65] } }\n"
    "feature_columns { part: \"linear\" crossed { keys: [\"age_bucketized\", \"education\", "
    "\"occupation\"] hash_bucket_size: 1000 } }\n";

static const char *deep =
    "feature_columns { name: \"age\" part: \"dnn\" numeric { normalize: true } }\n"
    "feature_columns { name: \"education_num\" part: \"dnn\" numeric { normalize: true } }\n"
    "feature_columns { name: \"capital_gain\" part: \"dnn\" numeric { normalize: true } }\n"
    "feature_columns { name: \"hours_per_week\" part: \"dnn\" numeric { normalize: true } }\n"
    "feature_columns { part: \"dnn\" indicator { categorical: \"relationship\" } }\n"
    "feature_columns { part: \"dnn\" embedding { categorical: \"occupation\" dimension: 4 } }\n";

/* A config for the census data: "<estimator> <columns>", model_dir under tmp. */
static trn_config *census_config(const char *estimator, const char *columns, int batch,
                                 tsd_status *st)
{
    char *text = NULL;
    int n = asprintf(&text,
                     "data {\n  train_files: \"%s\"\n  eval_files: \"%s\"\n%s"
                     "  batch_size: %d\n  num_epochs: 1\n}\n%s\nestimator { %s }\n"
                     "run_config { model_dir: \"%s/model\" tf_random_seed: 7 }\n",
                     tsd_test_path("datasets/census/adult.data.csv"),
                     tsd_test_path("datasets/census/adult.test.csv"), census_columns, batch,
                     columns, estimator, tmp);
    assert_true(n > 0);
    trn_config *c = trn_config_parse(text, strlen(text), tmp, st);
    free(text);
    return c;
}

static trn_data *census_train, *census_test;
static trn_config *wd_config;

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "%s", tsd_test_tmpdir());
    tsd_status st = TSD_STATUS_INIT;
    char cols[4096];
    snprintf(cols, sizeof cols, "%s%s", wide, deep);
    wd_config = census_config("type: \"DNNLinearCombinedClassifier\" hidden_units: [16, 8] "
                              "dnn_optimizer { type: \"Adagrad\" learning_rate: 0.05 }",
                              cols, 64, &st);
    if (!wd_config)
        fail_msg("config: %s", st.msg);
    census_train = trn_data_read(wd_config, 0, &st);
    census_test = census_train ? trn_data_read(wd_config, 1, &st) : NULL;
    if (!census_test)
        fail_msg("data: %s", st.msg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    trn_data_free(census_train);
    trn_data_free(census_test);
    trn_config_free(wd_config);
    return 0;
}

/* Train `epochs` epochs in file order; returns the mean loss of the last 50 steps. */
static double train(trn_model *m, const trn_data *d, int64_t batch, int epochs)
{
    tsd_status st = TSD_STATUS_INIT;
    int64_t n = trn_data_rows(d), *rows = malloc((size_t)batch * sizeof *rows);
    double tail = 0;
    int64_t steps = (n / batch) * epochs, k = 0;
    for (int64_t s = 0; s < steps; s++) {
        for (int64_t i = 0; i < batch; i++)
            rows[i] = (s * batch + i) % n;
        float loss;
        if (trn_train_step(m, d, rows, batch, &loss, &st) != TSD_OK)
            fail_msg("train: %s", st.msg);
        if (s >= steps - 50) {
            tail += loss;
            k++;
        }
    }
    free(rows);
    return tail / (double)k;
}

static double accuracy(trn_model *m, const trn_data *d)
{
    tsd_status st = TSD_STATUS_INIT;
    int64_t n = trn_data_rows(d);
    float *p = malloc((size_t)n * sizeof *p);
    assert_int_equal(trn_predict(m, d, 0, n, p, &st), TSD_OK);
    int64_t right = 0;
    for (int64_t i = 0; i < n; i++)
        right += (p[i] > 0.5f) == (trn_data_label(d, i) > 0.5f);
    free(p);
    return (double)right / (double)n;
}

/*
 * Load the SavedModel in dir with the loader tensord uses, run signature
 * sig on the first n examples of d and copy output `fetch` (nbytes) into
 * out; optionally report the model's asset count and output 0's width.
 */
static void run_served(const char *dir, const char *sig, const trn_data *d, int64_t n, int fetch,
                       void *out, size_t nbytes, size_t *nassets, int64_t *width0)
{
    tsd_status st = TSD_STATUS_INIT;
    ldr_model *lm = NULL;
    ldr_load_options lo = {NULL, 0, "exported"};
    if (ldr_model_load(dir, &lo, &lm, &st) != TSD_OK)
        fail_msg("load: %s", st.msg);
    if (nassets)
        *nassets = ldr_saved_model_num_assets(ldr_model_saved_model(lm));
    const eng_plan *plan = ldr_model_plan(lm, sig, &st);
    assert_non_null(plan);
    eng_call *call = eng_call_new();
    eng_tensor in = {.dtype = ENG_DT_STRING,
                     .rank = 1,
                     .data = (void *)trn__data_examples(d),
                     .nbytes = (size_t)n * sizeof(eng_str)};
    in.dims[0] = n;
    eng_tensor outs[8];
    if (eng_plan_run(plan, call, &in, outs, &st) != TSD_OK)
        fail_msg("%s: %s", sig, st.msg);
    assert_int_equal(outs[fetch].nbytes, nbytes);
    memcpy(out, outs[fetch].data, nbytes);
    if (width0)
        *width0 = outs[0].dims[1];
    eng_call_free(call);
    ldr_model_free(lm);
}

/* ---- feature column semantics through one SGD step ------------------------------ */

/* Rows of variable `name` (in model_dir's checkpoint) that are non-zero. */
static int nonzero_rows(const char *dir, const char *name, int64_t *rows, int max)
{
    tsd_status st = TSD_STATUS_INIT;
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s/model.ckpt-1", dir);
    ldr_bundle *b = NULL;
    if (ldr_bundle_open(prefix, &b, &st) != TSD_OK)
        fail_msg("bundle: %s", st.msg);
    const ldr_bundle_entry *e = ldr_bundle_find(b, name);
    if (!e)
        fail_msg("no variable %s", name);
    eng_tensor t;
    assert_int_equal(ldr_bundle_read(b, e, &t, &st), TSD_OK);
    int n = 0;
    int64_t width = t.rank == 2 ? t.dims[1] : 1;
    for (int64_t r = 0; r < t.dims[0]; r++) {
        int nz = 0;
        for (int64_t k = 0; k < width; k++)
            nz |= ((const float *)t.data)[r * width + k] != 0.0f;
        if (nz && n < max)
            rows[n++] = r;
    }
    eng_tensor_free_data(&t);
    ldr_bundle_close(b);
    return n;
}

/*
 * One SGD step of a linear model over CSV `csv` (columns a,b,c,n,label).
 * The weights start at zero, where TF's sigmoid cross-entropy (relu(z) -
 * z*y + log1p(exp(-|z|)), differentiated op by op) has gradient -y: so
 * rows of label-1 examples move and rows of label-0 examples do not.
 */
static void one_step(const char *name, const char *csv, const char *columns)
{
    char dir[512], path[600], *text = NULL;
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/data.csv", dir);
    assert_int_equal(tsd_test_write_file(path, csv, strlen(csv)), 0);
    assert_true(asprintf(&text,
                         "data { train_files: \"data.csv\" column_names: [\"a\", \"b\", \"c\", "
                         "\"n\", \"label\"] label_column: \"label\" batch_size: 8 }\n%s\n"
                         "estimator { type: \"LinearClassifier\" optimizer { type: \"SGD\" "
                         "learning_rate: 1 } }\nrun_config { model_dir: \".\" }\n",
                         columns) > 0);
    tsd_status st = TSD_STATUS_INIT;
    trn_config *c = trn_config_parse(text, strlen(text), dir, &st);
    free(text);
    if (!c)
        fail_msg("config: %s", st.msg);
    trn_data *d = trn_data_read(c, 0, &st);
    if (!d)
        fail_msg("data: %s", st.msg);
    trn_model *m = trn_model_new(c, d, &st);
    if (!m)
        fail_msg("model: %s", st.msg);
    int64_t rows[8];
    for (int64_t i = 0; i < trn_data_rows(d); i++)
        rows[i] = i;
    assert_int_equal(trn_train_step(m, d, rows, trn_data_rows(d), NULL, &st), TSD_OK);
    assert_int_equal(trn_save(m, dir, 1, &st), TSD_OK);
    trn_model_free(m);
    trn_data_free(d);
    trn_config_free(c);
}

static void expect_rows(const char *name, const char *var, const int64_t *want, int n)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    int64_t got[64];
    int k = nonzero_rows(dir, var, got, 64);
    if (k != n) {
        for (int i = 0; i < k; i++)
            print_message("%s: row %lld moved\n", var, (long long)got[i]);
        fail_msg("%s: %d rows moved, want %d", var, k, n);
    }
    for (int i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("%s: row %lld moved, want %lld", var, (long long)got[i], (long long)want[i]);
}

static void test_column_semantics(void **state)
{
    (void)state;
    /* hash buckets: a,b,c,d -> 9,2,2,5 (TF's string_to_hash_bucket_op_test) */
    one_step("hash", "a,x,1,0,1\nb,x,1,0,1\nc,x,1,0,1\nd,x,1,0,1\n",
             "feature_columns { name: \"a\" hash_bucket { hash_bucket_size: 10 } }");
    expect_rows("hash", "linear/linear_model/a/weights", (const int64_t[]){2, 5, 9}, 3);
    /* vocabulary list: ids by position, OOV -> 3 + bucket("a") = 12, missing cell: none */
    one_step("vocab", "y,x,1,0,1\na,x,1,0,1\n,x,1,0,1\n",
             "feature_columns { name: \"a\" vocabulary_list { vocabulary: [\"x\", \"y\", \"z\"] "
             "num_oov_buckets: 10 } }");
    expect_rows("vocab", "linear/linear_model/a/weights", (const int64_t[]){1, 12}, 2);
    /* without OOV buckets an unknown value is dropped (-1, pruned) */
    one_step("vocab_drop", "z,x,1,0,1\nq,x,1,0,0\n",
             "feature_columns { name: \"a\" vocabulary_list { vocabulary: [\"x\", \"y\", \"z\"] "
             "} }");
    expect_rows("vocab_drop", "linear/linear_model/a/weights", (const int64_t[]){2}, 1);
    /* bucketized [18, 25, 30, 35]: 17 -> 0, 30 -> 3 (a boundary goes up), 99 -> 4 */
    one_step("bucket", "a,x,1,17,1\na,x,1,30,1\na,x,1,99,1\n",
             "feature_columns { name: \"n\" bucketized { boundaries: [18, 25, 30, 35] } }");
    expect_rows("bucket", "linear/linear_model/n_bucketized/weights", (const int64_t[]){0, 3, 4},
                3);
    /* identity with a default: 2 -> 2, 7 (out of range) -> default 0 */
    one_step("identity", "a,x,2,0,1\na,x,7,0,1\n",
             "feature_columns { name: \"c\" identity { num_buckets: 5 default_value: 0 "
             "has_default_value: true } }");
    expect_rows("identity", "linear/linear_model/c/weights", (const int64_t[]){0, 2}, 2);
    /* weighted: ids 2 (weight 0.5) and 3 (weight -1: pruned, as weights <= 0 are) */
    one_step("weighted", "a,x,2,0.5,1\na,x,3,-1,1\n",
             "feature_columns { name: \"c\" part: \"none\" identity { num_buckets: 5 } }\n"
             "feature_columns { weighted { categorical: \"c\" weight_feature_key: \"n\" } }");
    expect_rows("weighted", "linear/linear_model/c_weighted_by_n/weights", (const int64_t[]){2}, 1);
    /* the three-way cross of TF's sparse_cross_op_test: 100 buckets -> 83 */
    one_step("cross", "batch1-FC1-F1,batch1-FC2-F1,batch1-FC3-F1,0,1\n",
             "feature_columns { crossed { keys: [\"a\", \"b\", \"c\"] hash_bucket_size: 100 } }");
    expect_rows("cross", "linear/linear_model/a_X_b_X_c/weights", (const int64_t[]){83}, 1);
}

/* ---- census ------------------------------------------------------------------------- */

static void test_census_learns(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    trn_model *m = trn_model_new(wd_config, census_train, &st);
    if (!m)
        fail_msg("model: %s", st.msg);
    assert_int_equal(trn_global_step(m), 0);
    double before = accuracy(m, census_test);
    double loss = train(m, census_train, 64, 1);
    double acc = accuracy(m, census_test);
    print_message("wide and deep, 1 epoch: accuracy %.4f (untrained %.4f), loss %.4f\n", acc,
                  before, loss);
    assert_true(acc > 0.83);
    assert_true(loss < 0.40);
    assert_int_equal(trn_global_step(m), trn_data_rows(census_train) / 64);
    /* evaluate: TF's keys, consistent with the predictions */
    trn_metrics r;
    assert_int_equal(trn_evaluate(m, census_test, 512, NULL, &r, &st), TSD_OK);
    static const char *const keys[] = {
        "accuracy",     "accuracy_baseline", "auc",        "auc_precision_recall",
        "average_loss", "global_step",       "label/mean", "loss",
        "precision",    "prediction/mean",   "recall"};
    assert_int_equal(r.n, 11);
    for (int i = 0; i < 11; i++)
        assert_string_equal(r.m[i].key, keys[i]);
    assert_true(fabs(trn_metrics_get(&r, "accuracy") - acc) < 1e-9);
    assert_true(trn_metrics_get(&r, "auc") > 0.85);
    assert_true(fabs(trn_metrics_get(&r, "accuracy_baseline") - 0.7638) < 1e-3);
    trn_model_free(m);
}

static void test_checkpoint_resume(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/ckpt", tmp);
    mkdir(dir, 0700);
    tsd_status st = TSD_STATUS_INIT;
    trn_model *m = trn_model_new(wd_config, census_train, &st);
    assert_non_null(m);
    assert_int_equal(trn_restore(m, dir, &st), TSD_NOT_FOUND);
    int64_t rows[64];
    for (int s = 0; s < 40; s++) {
        for (int i = 0; i < 64; i++)
            rows[i] = s * 64 + i;
        assert_int_equal(trn_train_step(m, census_train, rows, 64, NULL, &st), TSD_OK);
        if (s % 10 == 9)
            assert_int_equal(trn_save(m, dir, 3, &st), TSD_OK);
    }
    /* retention: the newest 3 of 4 */
    char p[700];
    snprintf(p, sizeof p, "%s/model.ckpt-10.index", dir);
    assert_int_not_equal(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/model.ckpt-40.index", dir);
    assert_int_equal(access(p, F_OK), 0);
    /* slots under Keras' names, FTRL for the linear part, Adagrad for the DNN */
    snprintf(p, sizeof p, "%s/model.ckpt-40", dir);
    ldr_bundle *b = NULL;
    assert_int_equal(ldr_bundle_open(p, &b, &st), TSD_OK);
    static const char *const names[] = {
        "global_step",
        "linear/linear_model/bias_weights",
        "linear/linear_model/education/weights",
        "linear/linear_model/age_bucketized_X_education_X_occupation/weights",
        "training/Ftrl/linear/linear_model/education/weights/accumulator",
        "training/Ftrl/linear/linear_model/education/weights/linear",
        "dnn/hiddenlayer_0/kernel",
        "dnn/logits/bias",
        "dnn/input_from_feature_columns/input_layer/occupation_embedding/embedding_weights",
        "training/Adagrad/dnn/hiddenlayer_0/kernel/accumulator",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!ldr_bundle_find(b, names[i]))
            fail_msg("checkpoint has no %s", names[i]);
    ldr_bundle_close(b);
    float p1[64], p2[64];
    assert_int_equal(trn_predict(m, census_test, 0, 64, p1, &st), TSD_OK);
    trn_model *r = trn_model_new(wd_config, census_train, &st);
    assert_int_equal(trn_restore(r, dir, &st), TSD_OK);
    assert_int_equal(trn_global_step(r), 40);
    assert_int_equal(trn_predict(r, census_test, 0, 64, p2, &st), TSD_OK);
    assert_memory_equal(p1, p2, sizeof p1);
    /* and both continue identically (slots were restored too) */
    assert_int_equal(trn_train_step(m, census_train, rows, 64, NULL, &st), TSD_OK);
    assert_int_equal(trn_train_step(r, census_train, rows, 64, NULL, &st), TSD_OK);
    assert_int_equal(trn_predict(m, census_test, 0, 64, p1, &st), TSD_OK);
    assert_int_equal(trn_predict(r, census_test, 0, 64, p2, &st), TSD_OK);
    assert_memory_equal(p1, p2, sizeof p1);
    trn_model_free(m);
    trn_model_free(r);
}

/* Training events: loss at steps 0, 100, 200, global_step/sec after the
 * first, a CHECKPOINT session log at the save. */
static void test_summaries(void **state)
{
    (void)state;
    char dir[512], path[1200] = "";
    snprintf(dir, sizeof dir, "%s/summary_dir", tmp);
    mkdir(dir, 0700);
    tsd_status st = TSD_STATUS_INIT;
    trn_model *m = trn_model_new(wd_config, census_train, &st);
    assert_int_equal(trn_set_summary_dir(m, dir, 100, &st), TSD_OK);
    int64_t rows[32];
    for (int s = 0; s < 250; s++) {
        for (int i = 0; i < 32; i++)
            rows[i] = s * 32 + i;
        assert_int_equal(trn_train_step(m, census_train, rows, 32, NULL, &st), TSD_OK);
    }
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
        if (ev->what_case == TENSORFLOW__EVENT__WHAT_SUMMARY)
            for (size_t i = 0; i < ev->summary->n_value; i++) {
                if (!strcmp(ev->summary->value[i]->tag, "loss") && nloss < 8)
                    loss_steps[nloss++] = ev->step;
                if (!strcmp(ev->summary->value[i]->tag, "global_step/sec")) {
                    nrate++;
                    assert_true(ev->summary->value[i]->simple_value > 0);
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

/* Row i of the census test file as JSON for a REST request (the raw cells). */
static void row_json(int64_t i, FILE *out)
{
    static char *lines[64];
    static int nlines;
    if (!nlines) {
        size_t len;
        char *text = tsd_test_read_file(tsd_test_path("datasets/census/adult.test.csv"), &len);
        assert_non_null(text);
        for (char *l = strtok(text, "\n"); l && nlines < 64; l = strtok(NULL, "\n"))
            if (strchr(l, ','))
                lines[nlines++] = strdup(l);
        free(text);
    }
    static const char *const cols[15] = {"age",
                                         "workclass",
                                         "fnlwgt",
                                         "education",
                                         "education_num",
                                         "marital_status",
                                         "occupation",
                                         "relationship",
                                         "race",
                                         "gender",
                                         "capital_gain",
                                         "capital_loss",
                                         "hours_per_week",
                                         "native_country",
                                         "income_bracket"};
    char *l = strdup(lines[i]), *save = NULL;
    fprintf(out, "{");
    int k = 0;
    for (char *f = strtok_r(l, ",", &save); f && k < 15; f = strtok_r(NULL, ",", &save), k++) {
        while (*f == ' ')
            f++;
        if (k == 0 || k == 4 || k == 10 || k == 11 || k == 12)
            fprintf(out, "%s\"%s\": %s.0", k ? ", " : "", cols[k], f);
        else if (k != 2 && k != 14)
            fprintf(out, ", \"%s\": \"%s\"", cols[k], f);
    }
    fprintf(out, "}");
    free(l);
}

/* The exported SavedModel loads with the loader tensord uses and its
 * signatures answer what the trainer predicts. TSD_EXPORT_BASE: export
 * there and keep it, with the trainer's predictions for the first rows,
 * for the tensord test to serve. */
static void test_export(void **state)
{
    (void)state;
    char base[512];
    const char *keep = getenv("TSD_EXPORT_BASE");
    snprintf(base, sizeof base, "%s", keep ? keep : "");
    if (!keep)
        snprintf(base, sizeof base, "%s/export", tmp);
    tsd_status st = TSD_STATUS_INIT;
    trn_model *m = trn_model_new(wd_config, census_train, &st);
    train(m, census_train, 64, 1);
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
    float want[B];
    assert_int_equal(trn_predict(m, census_test, 0, B, want, &st), TSD_OK);
    eng_call *c = eng_call_new();
    eng_tensor out[8];
    /* the test file's first rows as the trainer serialized them */
    eng_tensor in = {.dtype = ENG_DT_STRING,
                     .rank = 1,
                     .data = (void *)trn__data_examples(census_test),
                     .nbytes = B * sizeof(eng_str)};
    in.dims[0] = B;
    /* serving_default: the label vocabulary as classes, scores [1-p, p] */
    const eng_plan *p = ldr_model_plan(lm, "serving_default", &st);
    assert_non_null(p);
    if (eng_plan_run(p, c, &in, out, &st) != TSD_OK)
        fail_msg("classify: %s", st.msg);
    const eng_str *cls = out[0].data;
    assert_int_equal(out[0].dims[1], 2);
    assert_true(cls[0].len == 5 && !memcmp(cls[0].ptr, "<=50K", 5));
    assert_true(cls[1].len == 4 && !memcmp(cls[1].ptr, ">50K", 4));
    const float *scores = out[1].data;
    for (int i = 0; i < B; i++) {
        assert_true(fabsf(scores[2 * i + 1] - want[i]) < 1e-6f);
        assert_true(fabsf(scores[2 * i] + scores[2 * i + 1] - 1.0f) < 1e-6f);
    }
    p = ldr_model_plan(lm, "regression", &st);
    assert_int_equal(eng_plan_run(p, c, &in, out, &st), TSD_OK);
    assert_memory_equal(out[0].data, want, sizeof want);
    /* predict: class_ids, classes by label vocabulary */
    p = ldr_model_plan(lm, "predict", &st);
    assert_int_equal(eng_plan_run(p, c, &in, out, &st), TSD_OK);
    assert_int_equal(eng_plan_num_fetches(p), 7);
    const int64_t *ids = out[2].data;
    const eng_str *names = out[3].data;
    for (int i = 0; i < B; i++) {
        assert_int_equal(ids[i], want[i] > 0.5f ? 1 : 0);
        assert_int_equal(names[i].len, want[i] > 0.5f ? 4 : 5);
    }
    if (keep) {
        char path[700];
        snprintf(path, sizeof path, "%s/expected.jsonl", base);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (int i = 0; i < 4; i++) {
            fprintf(f, "{\"example\": ");
            row_json(i, f);
            fprintf(f, ", \"p\": %.9g}\n", want[i]);
        }
        fclose(f);
    }
    eng_call_free(c);
    ldr_model_free(lm);
    free(dir);
    trn_model_free(m);
}

/* A vocabulary_file column: the table reads the file (InitializeTableFromTextFileV2),
 * the export carries it as an asset, and the served model answers what the
 * trainer predicts. */
static void test_vocab_file_asset(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/relationship.txt", tmp);
    const char *words = "Husband\nNot-in-family\nWife\nOwn-child\nUnmarried\nOther-relative\n";
    assert_int_equal(tsd_test_write_file(path, words, strlen(words)), 0);
    char *text = NULL;
    assert_true(asprintf(&text,
                         "data { train_files: \"%s\"\n%s batch_size: 64 max_steps: 100 }\n"
                         "feature_columns { name: \"relationship\" vocabulary_file { "
                         "vocabulary_file: \"relationship.txt\" num_oov_buckets: 1 } }\n"
                         "estimator { type: \"LinearClassifier\" }\n"
                         "run_config { model_dir: \"vocab_model\" }\n",
                         tsd_test_path("datasets/census/adult.data.csv"), census_columns) > 0);
    tsd_status st = TSD_STATUS_INIT;
    trn_config *c = trn_config_parse(text, strlen(text), tmp, &st);
    free(text);
    if (!c)
        fail_msg("config: %s", st.msg);
    trn_data *d = trn_data_read(c, 0, &st);
    trn_model *m = trn_model_new(c, d, &st);
    if (!m)
        fail_msg("model: %s", st.msg);
    train(m, d, 64, 1);
    float want[8];
    assert_int_equal(trn_predict(m, census_test, 0, 8, want, &st), TSD_OK);
    char base[512], *dir = NULL;
    snprintf(base, sizeof base, "%s/vocab_export", tmp);
    if (trn_export(m, base, &dir, &st) != TSD_OK)
        fail_msg("export: %s", st.msg);
    char asset[700];
    snprintf(asset, sizeof asset, "%s/assets/relationship.txt", dir);
    size_t len;
    char *copy = tsd_test_read_file(asset, &len);
    assert_non_null(copy);
    assert_int_equal(len, strlen(words));
    assert_memory_equal(copy, words, len);
    free(copy);
    float scores[16];
    size_t nassets = 0;
    run_served(dir, "serving_default", census_test, 8, 1, scores, sizeof scores, &nassets, NULL);
    assert_int_equal(nassets, 1);
    for (int i = 0; i < 8; i++)
        assert_true(fabsf(scores[2 * i + 1] - want[i]) < 1e-6f);
    free(dir);
    trn_model_free(m);
    trn_data_free(d);
    trn_config_free(c);
}

/* ---- other heads ---------------------------------------------------------------------- */

/* A tf.Example with float x, y, string s and int64 label. */
static size_t example(float x, float y, const char *s, int64_t label, uint8_t *buf)
{
    Tensorflow__Feature f[4];
    Tensorflow__FloatList fl[2];
    Tensorflow__Int64List il;
    Tensorflow__BytesList bl;
    ProtobufCBinaryData bv = {strlen(s), (uint8_t *)s};
    float fv[2] = {x, y};
    Tensorflow__Features__FeatureEntry e[4], *pe[4];
    static const char *const keys[4] = {"x", "y", "s", "label"};
    for (int k = 0; k < 4; k++) {
        tensorflow__feature__init(&f[k]);
        tensorflow__features__feature_entry__init(&e[k]);
        e[k].key = (char *)keys[k];
        e[k].value = &f[k];
        pe[k] = &e[k];
    }
    for (int k = 0; k < 2; k++) {
        tensorflow__float_list__init(&fl[k]);
        fl[k].n_value = 1;
        fl[k].value = &fv[k];
        f[k].kind_case = TENSORFLOW__FEATURE__KIND_FLOAT_LIST;
        f[k].float_list = &fl[k];
    }
    tensorflow__bytes_list__init(&bl);
    bl.n_value = 1;
    bl.value = &bv;
    f[2].kind_case = TENSORFLOW__FEATURE__KIND_BYTES_LIST;
    f[2].bytes_list = &bl;
    tensorflow__int64_list__init(&il);
    il.n_value = 1;
    il.value = &label;
    f[3].kind_case = TENSORFLOW__FEATURE__KIND_INT64_LIST;
    f[3].int64_list = &il;
    Tensorflow__Features fs = TENSORFLOW__FEATURES__INIT;
    fs.n_feature = 4;
    fs.feature = pe;
    Tensorflow__Example ex = TENSORFLOW__EXAMPLE__INIT;
    ex.features = &fs;
    return tensorflow__example__pack(&ex, buf);
}

static double uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* Three classes from a gzip-compressed TFRecord file: the class is the quadrant-ish region
 * of (x, y), plus a string feature that names the class half the time. */
static void test_multiclass_tfrecord(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/three.tfrecord", tmp);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint64_t rng = 1;
    for (int i = 0; i < 3000; i++) {
        double x = uniform(&rng) * 2 - 1, y = uniform(&rng) * 2 - 1;
        int64_t label = x < -0.3 ? 0 : y < 0 ? 1 : 2;
        static const char *const hint[3] = {"zero", "one", "two"};
        const char *s = uniform(&rng) < 0.5 ? hint[label] : "none";
        uint8_t ex[256], *framed = NULL; /* appended to */
        size_t flen = 0;
        assert_int_equal(
            ldr_tfrecord_frame(ex, example((float)x, (float)y, s, label, ex), &framed, &flen), 0);
        assert_int_equal(fwrite(framed, 1, flen, f), flen);
        free(framed);
    }
    fclose(f);
    /* the same records gzip-compressed, as TF's TFRecordWriter(GZIP) writes them */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s.gz'", path, path);
    assert_int_equal(system(cmd), 0);
    char *text = NULL;
    assert_true(asprintf(&text,
                         "data { train_files: \"three.tfrecord.gz\" compression: \"GZIP\" "
                         "label_column: \"label\" "
                         "batch_size: 30 }\n"
                         "feature_columns { name: \"x\" numeric {} }\n"
                         "feature_columns { name: \"y\" numeric {} }\n"
                         "feature_columns { name: \"s\" part: \"none\" vocabulary_list { "
                         "vocabulary: [\"zero\", \"one\", \"two\"] } }\n"
                         "feature_columns { indicator { categorical: \"s\" } }\n"
                         "estimator { type: \"DNNClassifier\" n_classes: 3 hidden_units: [16] "
                         "optimizer { type: \"Adam\" learning_rate: 0.01 } }\n"
                         "run_config { model_dir: \"three\" }\n") > 0);
    tsd_status st = TSD_STATUS_INIT;
    trn_config *c = trn_config_parse(text, strlen(text), tmp, &st);
    free(text);
    if (!c)
        fail_msg("config: %s", st.msg);
    trn_data *d = trn_data_read(c, 0, &st);
    if (!d)
        fail_msg("data: %s", st.msg);
    assert_int_equal(trn_data_rows(d), 3000);
    trn_model *m = trn_model_new(c, d, &st);
    if (!m)
        fail_msg("model: %s", st.msg);
    assert_int_equal(trn_output_dim(m), 3);
    train(m, d, 30, 10);
    trn_metrics r;
    assert_int_equal(trn_evaluate(m, d, 500, NULL, &r, &st), TSD_OK);
    print_message("3 classes: accuracy %.4f average_loss %.4f\n", trn_metrics_get(&r, "accuracy"),
                  trn_metrics_get(&r, "average_loss"));
    assert_true(trn_metrics_get(&r, "accuracy") > 0.95);
    assert_true(isnan(trn_metrics_get(&r, "auc"))); /* a binary-only metric */
    float p[3 * 4];
    assert_int_equal(trn_predict(m, d, 0, 4, p, &st), TSD_OK);
    for (int i = 0; i < 4; i++)
        assert_true(fabsf(p[3 * i] + p[3 * i + 1] + p[3 * i + 2] - 1) < 1e-5f);
    char base[512], *dir = NULL;
    snprintf(base, sizeof base, "%s/three_export", tmp);
    assert_int_equal(trn_export(m, base, &dir, &st), TSD_OK);
    float served[3 * 4];
    int64_t nclasses = 0;
    run_served(dir, "serving_default", d, 4, 1, served, sizeof served, NULL, &nclasses);
    assert_int_equal(nclasses, 3);
    assert_memory_equal(served, p, sizeof p);
    free(dir);
    trn_model_free(m);
    trn_data_free(d);
    trn_config_free(c);
}

/* y = 2x + 1 (+ noise) learned by a LinearRegressor with SGD; rows of
 * weight 0 (wild outliers) do not count, in training or in the metrics. */
static void test_regression(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/line.csv", tmp);
    FILE *f = fopen(path, "w");
    uint64_t rng = 3;
    for (int i = 0; i < 2000; i++) {
        double x = uniform(&rng) * 4 - 2;
        fprintf(f, "%.6f,%.6f,1\n", x, 2 * x + 1 + (uniform(&rng) - 0.5) * 0.1);
        if (i % 10 == 0) /* outliers of weight 0: they must not move the fit */
            fprintf(f, "%.6f,%.6f,0\n", x, -50.0);
    }
    fclose(f);
    const char *text = "data { train_files: \"line.csv\" column_names: [\"x\", \"y\", \"w\"] "
                       "label_column: \"y\" weight_column: \"w\" batch_size: 20 }\n"
                       "feature_columns { name: \"x\" numeric {} }\n"
                       "estimator { type: \"LinearRegressor\" optimizer { type: \"SGD\" "
                       "learning_rate: 0.1 } }\nrun_config { model_dir: \"line\" }\n";
    tsd_status st = TSD_STATUS_INIT;
    trn_config *c = trn_config_parse(text, strlen(text), tmp, &st);
    if (!c)
        fail_msg("config: %s", st.msg);
    trn_data *d = trn_data_read(c, 0, &st);
    trn_model *m = trn_model_new(c, d, &st);
    if (!m)
        fail_msg("model: %s", st.msg);
    train(m, d, 20, 3);
    float p[2];
    assert_int_equal(trn_predict(m, d, 0, 2, p, &st), TSD_OK);
    trn_metrics r;
    assert_int_equal(trn_evaluate(m, d, 500, NULL, &r, &st), TSD_OK);
    print_message("regression: average_loss %.5f\n", trn_metrics_get(&r, "average_loss"));
    assert_true(trn_metrics_get(&r, "average_loss") < 0.002); /* noise variance ~0.0008 */
    assert_true(fabs(trn_metrics_get(&r, "label/mean") - trn_metrics_get(&r, "prediction/mean")) <
                0.02);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/line", tmp);
    mkdir(dir, 0700);
    assert_int_equal(trn_save(m, dir, 1, &st), TSD_OK);
    trn_model_free(m);
    trn_data_free(d);
    trn_config_free(c);
}

/* reader_threads: the same rows in the same (file) order as one reader. */
static void test_reader_threads(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    trn_data *d[2];
    for (int k = 0; k < 2; k++) {
        char *text = NULL;
        assert_true(
            asprintf(&text,
                     "data { train_files: [\"%s\", \"%s\", \"%s\"]\n%s reader_threads: %d }\n"
                     "feature_columns { name: \"age\" numeric {} }\n"
                     "estimator { type: \"LinearClassifier\" }\n"
                     "run_config { model_dir: \"m\" }\n",
                     tsd_test_path("datasets/census/adult.test.csv"),
                     tsd_test_path("datasets/census/adult.data.csv"),
                     tsd_test_path("datasets/census/adult.test.csv"), census_columns,
                     k ? 3 : 1) > 0);
        trn_config *c = trn_config_parse(text, strlen(text), tmp, &st);
        free(text);
        assert_non_null(c);
        d[k] = trn_data_read(c, 0, &st);
        if (!d[k])
            fail_msg("read: %s", st.msg);
        trn_config_free(c);
    }
    int64_t n = trn_data_rows(d[0]);
    assert_int_equal(n, 2 * 16281 + 32561);
    assert_int_equal(trn_data_rows(d[1]), n);
    const eng_str *a = trn__data_examples(d[0]), *b = trn__data_examples(d[1]);
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(a[i].len, b[i].len);
        assert_memory_equal(a[i].ptr, b[i].ptr, a[i].len);
        assert_true(trn_data_label(d[0], i) == trn_data_label(d[1], i));
    }
    trn_data_free(d[0]);
    trn_data_free(d[1]);
}

/* train_files patterns expand in sorted order; a pattern matching nothing fails. */
static void test_file_patterns(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    const char *pats[2] = {"datasets/census/adult.*.csv", "datasets/census/nothing-*.csv"};
    for (int k = 0; k < 2; k++) {
        char *text = NULL;
        assert_true(asprintf(&text,
                             "data { train_files: \"%s\"\n%s }\n"
                             "feature_columns { name: \"age\" numeric {} }\n"
                             "estimator { type: \"LinearClassifier\" }\n"
                             "run_config { model_dir: \"m\" }\n",
                             tsd_test_path(pats[k]), census_columns) > 0);
        trn_config *c = trn_config_parse(text, strlen(text), tmp, &st);
        free(text);
        assert_non_null(c);
        trn_data *d = trn_data_read(c, 0, &st);
        if (k == 0) {
            assert_non_null(d);
            assert_int_equal(trn_data_rows(d), 32561 + 16281); /* adult.data, then adult.test */
            assert_true(trn_data_label(d, 32561 + 2) == trn_data_label(census_test, 2));
            trn_data_free(d);
        } else {
            assert_null(d);
            assert_non_null(strstr(st.msg, "no file matches"));
        }
        trn_config_free(c);
    }
}

/* loss_reduction "sum" (TF 1's estimators) scales the loss and the first
 * SGD step by the batch size against TF 2's SUM_OVER_BATCH_SIZE. */
static void test_loss_reduction(void **state)
{
    (void)state;
    float loss[2], pred[2];
    for (int k = 0; k < 2; k++) {
        char *text = NULL;
        assert_true(asprintf(&text,
                             "data { train_files: \"line.csv\" column_names: [\"x\", \"y\", "
                             "\"w\"] label_column: \"y\" }\n"
                             "feature_columns { name: \"x\" numeric {} }\n"
                             "estimator { type: \"LinearRegressor\" loss_reduction: \"%s\" "
                             "optimizer { type: \"SGD\" learning_rate: 0.001 } }\n"
                             "run_config { model_dir: \"m\" }\n",
                             k ? "sum" : "sum_over_batch_size") > 0);
        tsd_status st = TSD_STATUS_INIT;
        trn_config *c = trn_config_parse(text, strlen(text), tmp, &st);
        free(text);
        if (!c)
            fail_msg("config: %s", st.msg);
        trn_data *d = trn_data_read(c, 0, &st); /* test_regression's line.csv */
        assert_non_null(d);
        trn_model *m = trn_model_new(c, d, &st);
        int64_t rows[20];
        for (int i = 0; i < 20; i++)
            rows[i] = i;
        assert_int_equal(trn_train_step(m, d, rows, 20, &loss[k], &st), TSD_OK);
        assert_int_equal(trn_predict(m, d, 0, 1, &pred[k], &st), TSD_OK);
        trn_model_free(m);
        trn_data_free(d);
        trn_config_free(c);
    }
    assert_true(fabsf(loss[1] / loss[0] - 20.0f) < 1e-3f);
    assert_true(fabsf(pred[1] / pred[0] - 20.0f) < 1e-3f);
}

/* Dropout: masks drawn per step in training (the first loss differs from
 * the same model without dropout; two runs with the seed agree), none at
 * inference: predictions are deterministic and the export, which has no
 * dropout, answers the same. */
static void test_dropout(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    float loss[3], p[3][8];
    char cols[4096];
    snprintf(cols, sizeof cols,
             "feature_columns { name: \"relationship\" part: \"none\" vocabulary_list { "
             "vocabulary: [\"Husband\", \"Not-in-family\", \"Wife\", \"Own-child\"] } }\n"
             "feature_columns { name: \"occupation\" part: \"none\" hash_bucket { "
             "hash_bucket_size: 100 } }\n%s",
             deep);
    for (int k = 0; k < 3; k++) {
        trn_config *c = census_config(k == 2 ? "type: \"DNNClassifier\" hidden_units: [16, 8]"
                                             : "type: \"DNNClassifier\" hidden_units: [16, 8] "
                                               "dropout: 0.5",
                                      cols, 64, &st);
        if (!c)
            fail_msg("config: %s", st.msg);
        trn_model *m = trn_model_new(c, census_train, &st);
        int64_t rows[64];
        for (int s2 = 0; s2 < 30; s2++) {
            for (int i = 0; i < 64; i++)
                rows[i] = s2 * 64 + i;
            float l;
            assert_int_equal(trn_train_step(m, census_train, rows, 64, &l, &st), TSD_OK);
            if (s2 == 1)
                loss[k] = l;
        }
        assert_int_equal(trn_predict(m, census_test, 0, 8, p[k], &st), TSD_OK);
        float again[8];
        assert_int_equal(trn_predict(m, census_test, 0, 8, again, &st), TSD_OK);
        assert_memory_equal(again, p[k], sizeof again); /* no dropout at inference */
        if (k == 0) {
            char base[512], *dir = NULL;
            snprintf(base, sizeof base, "%s/dropout_export", tmp);
            assert_int_equal(trn_export(m, base, &dir, &st), TSD_OK);
            float served[8];
            run_served(dir, "regression", census_test, 8, 0, served, sizeof served, NULL, NULL);
            assert_memory_equal(served, p[0], sizeof p[0]);
            free(dir);
        }
        trn_model_free(m);
        trn_config_free(c);
    }
    assert_true(loss[0] == loss[1]);              /* same seed, same masks */
    assert_memory_equal(p[0], p[1], sizeof p[0]); /* same training */
    assert_true(loss[0] != loss[2]);              /* the masks did something */
}

/* Batch norm: Keras' variables under the estimator's names (gamma and beta
 * trained with slots, the moving moments updated without), the moving
 * moments leave their initial values, inference uses them (deterministic)
 * and the export, built on them alone, answers the same. */
static void test_batch_norm(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    char cols[4096];
    snprintf(cols, sizeof cols,
             "feature_columns { name: \"relationship\" part: \"none\" vocabulary_list { "
             "vocabulary: [\"Husband\", \"Not-in-family\", \"Wife\", \"Own-child\"] } }\n"
             "feature_columns { name: \"occupation\" part: \"none\" hash_bucket { "
             "hash_bucket_size: 100 } }\n%s",
             deep);
    trn_config *c = census_config("type: \"DNNClassifier\" hidden_units: [8, 4] batch_norm: true "
                                  "optimizer { type: \"Adagrad\" learning_rate: 0.05 }",
                                  cols, 64, &st);
    if (!c)
        fail_msg("config: %s", st.msg);
    trn_model *m = trn_model_new(c, census_train, &st);
    /* momentum 0.999: the moving moments need a few thousand steps */
    train(m, census_train, 64, 6);
    float p[8], again[8];
    assert_int_equal(trn_predict(m, census_test, 0, 8, p, &st), TSD_OK);
    assert_int_equal(trn_predict(m, census_test, 0, 8, again, &st), TSD_OK);
    assert_memory_equal(p, again, sizeof p);
    trn_metrics r;
    assert_int_equal(trn_evaluate(m, census_test, 512, NULL, &r, &st), TSD_OK);
    print_message("batch norm, 6 epochs: accuracy %.4f\n", trn_metrics_get(&r, "accuracy"));
    assert_true(trn_metrics_get(&r, "accuracy") > 0.82);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bn_ckpt", tmp);
    mkdir(dir, 0700);
    assert_int_equal(trn_save(m, dir, 1, &st), TSD_OK);
    char prefix[700];
    snprintf(prefix, sizeof prefix, "%s/model.ckpt-%lld", dir, (long long)trn_global_step(m));
    ldr_bundle *bd = NULL;
    assert_int_equal(ldr_bundle_open(prefix, &bd, &st), TSD_OK);
    static const char *const present[] = {
        "dnn/hiddenlayer_0/batchnorm_0/gamma",
        "dnn/hiddenlayer_0/batchnorm_0/beta",
        "dnn/hiddenlayer_1/batchnorm_1/moving_mean",
        "dnn/hiddenlayer_1/batchnorm_1/moving_variance",
        "training/Adagrad/dnn/hiddenlayer_0/batchnorm_0/gamma/accumulator",
    };
    for (size_t i = 0; i < 5; i++)
        if (!ldr_bundle_find(bd, present[i]))
            fail_msg("checkpoint has no %s", present[i]);
    assert_null(ldr_bundle_find(
        bd, "training/Adagrad/dnn/hiddenlayer_0/batchnorm_0/moving_mean/accumulator"));
    eng_tensor mv;
    assert_int_equal(
        ldr_bundle_read(bd, ldr_bundle_find(bd, "dnn/hiddenlayer_0/batchnorm_0/moving_variance"),
                        &mv, &st),
        TSD_OK);
    int moved = 0;
    for (int k = 0; k < 8; k++)
        moved += ((const float *)mv.data)[k] != 1.0f;
    assert_int_equal(moved, 8);
    eng_tensor_free_data(&mv);
    ldr_bundle_close(bd);
    char base[512], *edir = NULL;
    snprintf(base, sizeof base, "%s/bn_export", tmp);
    assert_int_equal(trn_export(m, base, &edir, &st), TSD_OK);
    float served[8];
    run_served(edir, "regression", census_test, 8, 0, served, sizeof served, NULL, NULL);
    assert_memory_equal(served, p, sizeof p);
    free(edir);
    trn_model_free(m);
    trn_config_free(c);
}

static void expect_bad(const char *text, const char *msg)
{
    tsd_status st = TSD_STATUS_INIT;
    trn_config *c = trn_config_parse(text, strlen(text), tmp, &st);
    if (c)
        fail_msg("accepted: %s", text);
    if (!strstr(st.msg, msg))
        fail_msg("message '%s' lacks '%s'", st.msg, msg);
}

static void test_bad_config(void **state)
{
    (void)state;
#define DATA "data { train_files: \"x.csv\" column_names: [\"a\", \"l\"] label_column: \"l\" } "
#define RUN " run_config { model_dir: \"m\" }"
    expect_bad(DATA "feature_columns { name: \"a\" numeric {} } estimator { type: \"Foo\" }" RUN,
               "estimator type 'Foo' is not one of");
    expect_bad(DATA "feature_columns { name: \"a\" vocabulary_list { vocabulary: [\"x\"] } } "
                    "estimator { type: \"DNNClassifier\" hidden_units: [4] }" RUN,
               "wrap a categorical column in an indicator or embedding column");
    expect_bad(DATA "feature_columns { name: \"a\" vocabulary_list { vocabulary: [\"x\", \"x\"] "
                    "} } estimator { type: \"LinearClassifier\" }" RUN,
               "duplicate vocabulary entry 'x'");
    expect_bad(DATA "feature_columns { name: \"a\" bucketized { boundaries: [2, 1] } } "
                    "estimator { type: \"LinearClassifier\" }" RUN,
               "boundaries must be sorted");
    expect_bad(DATA "feature_columns { embedding { categorical: \"nope\" dimension: 2 } } "
                    "estimator { type: \"DNNClassifier\" hidden_units: [4] }" RUN,
               "'nope' is not a categorical column");
    expect_bad(DATA "feature_columns { name: \"a\" numeric {} } "
                    "estimator { type: \"DNNLinearCombinedClassifier\" hidden_units: [4] }" RUN,
               "set part to");
    expect_bad(DATA "feature_columns { name: \"a\" numeric {} } feature_columns { name: \"a\" "
                    "hash_bucket { hash_bucket_size: 5 } } estimator { type: "
                    "\"LinearClassifier\" }" RUN,
               "two feature columns named 'a'");
    expect_bad(DATA "feature_columns { name: \"a\" numeric {} } estimator { type: "
                    "\"LinearClassifier\" optimizer { type: \"Momentum\" } }" RUN,
               "optimizer 'Momentum' is not");
    expect_bad(DATA "feature_columns { name: \"a\" vocabulary_list { vocabulary: [\"x\"] "
                    "num_oov_buckets: 2 default_value: 0 has_default_value: true } } "
                    "estimator { type: \"LinearClassifier\" }" RUN,
               "can't specify both num_oov_buckets and default_value");
    /* data errors name the file and line */
    char path[512];
    snprintf(path, sizeof path, "%s/bad.csv", tmp);
    assert_int_equal(tsd_test_write_file(path, "1,0\nx,1\n", 8), 0);
    const char *text = "data { train_files: \"bad.csv\" column_names: [\"a\", \"l\"] label_column: "
                       "\"l\" } feature_columns { name: \"a\" numeric {} } estimator { type: "
                       "\"LinearClassifier\" }" RUN;
    tsd_status st = TSD_STATUS_INIT;
    trn_config *c = trn_config_parse(text, strlen(text), tmp, &st);
    assert_non_null(c);
    assert_null(trn_data_read(c, 0, &st));
    assert_non_null(strstr(st.msg, "bad.csv:2: column 'a': 'x' is not a number"));
    trn_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_column_semantics),
        cmocka_unit_test(test_census_learns),
        cmocka_unit_test(test_checkpoint_resume),
        cmocka_unit_test(test_summaries),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_multiclass_tfrecord),
        cmocka_unit_test(test_regression),
        cmocka_unit_test(test_reader_threads),
        cmocka_unit_test(test_file_patterns),
        cmocka_unit_test(test_vocab_file_asset),
        cmocka_unit_test(test_loss_reduction),
        cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_batch_norm),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
