/*
 * test_export_attrs.c - the trainer's exported graph against graphs real
 * TensorFlow wrote. For every op type the fixtures' saved_model.pb files
 * use (estimator and TF Serving exports that keep default attrs), the attrs
 * present on every one of its nodes there are taken as what TensorFlow
 * writes for it; each node of our export with that op must carry them all
 * with the same attr value kind (TensorFlow fills only attrs with defaults
 * when loading; a missing attr without one fails the load). The
 * wide-and-deep export covers the parsing input, vocabulary tables, hash
 * buckets, Bucketize, SparseCross, embeddings, the linear and DNN layers
 * and the binary head. Ops no fixture uses are listed (they cannot be
 * checked this way) and must stay few.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorflow/core/protobuf/saved_model.pb-c.h"
#include "tests/unit/test_util.h"
#include "trainer/trainer.h"

#define MAX_OPS 512
#define MAX_ATTRS 32

typedef struct opinfo {
    char op[64];
    int seen;
    int nattr;
    char attr[MAX_ATTRS][48];
    int kind[MAX_ATTRS]; /* Tensorflow__AttrValue value_case */
} opinfo;

static opinfo ops[MAX_OPS];
static int nops;

static opinfo *find(const char *op)
{
    for (int i = 0; i < nops; i++)
        if (!strcmp(ops[i].op, op))
            return &ops[i];
    return NULL;
}

static Tensorflow__SavedModel *read_sm(const char *path)
{
    size_t len;
    char *bytes = tsd_test_read_file(path, &len);
    if (!bytes)
        return NULL;
    Tensorflow__SavedModel *sm = tensorflow__saved_model__unpack(NULL, len, (uint8_t *)bytes);
    free(bytes);
    return sm;
}

/* Intersect each op's attr set with this node's. */
static void learn(const Tensorflow__NodeDef *n)
{
    opinfo *o = find(n->op);
    if (!o) {
        if (nops == MAX_OPS)
            return;
        o = &ops[nops++];
        snprintf(o->op, sizeof o->op, "%s", n->op);
        for (size_t i = 0; i < n->n_attr && o->nattr < MAX_ATTRS; i++) {
            if (n->attr[i]->key[0] == '_')
                continue;
            snprintf(o->attr[o->nattr], sizeof o->attr[0], "%s", n->attr[i]->key);
            o->kind[o->nattr++] = n->attr[i]->value ? (int)n->attr[i]->value->value_case : 0;
        }
        o->seen = 1;
        return;
    }
    for (int k = 0; k < o->nattr; k++) {
        int has = 0;
        for (size_t i = 0; i < n->n_attr; i++)
            has |= !strcmp(n->attr[i]->key, o->attr[k]);
        if (!has) { /* not always written: drop it */
            memmove(&o->attr[k], &o->attr[k + 1], (size_t)(o->nattr - k - 1) * sizeof o->attr[0]);
            memmove(&o->kind[k], &o->kind[k + 1], (size_t)(o->nattr - k - 1) * sizeof o->kind[0]);
            o->nattr--;
            k--;
        }
    }
}

/* Estimator exports that write every attr, defaults included (exports
 * that strip defaults, like the TF 2 taxi model, would only weaken this). */
static const char *const fixtures[] = {
    "models/estimator/census_wide_deep/1527087570/saved_model.pb",
    "models/estimator/iris_linear/1/saved_model.pb",
    "models/estimator/taxi_dnn/1/saved_model.pb",
    "models/tfserving/saved_model_half_plus_three/00000123/saved_model.pb",
    "models/tfserving/saved_model_counter/00000123/saved_model.pb",
};

static void test_attrs_match_tensorflow(void **state)
{
    (void)state;
    int nfix = 0;
    for (size_t f = 0; f < sizeof fixtures / sizeof fixtures[0]; f++) {
        Tensorflow__SavedModel *sm = read_sm(tsd_test_path(fixtures[f]));
        if (!sm)
            fail_msg("cannot read %s", fixtures[f]);
        nfix++;
        for (size_t m = 0; m < sm->n_meta_graphs; m++) {
            const Tensorflow__GraphDef *g = sm->meta_graphs[m]->graph_def;
            for (size_t i = 0; g && i < g->n_node; i++)
                learn(g->node[i]);
        }
        tensorflow__saved_model__free_unpacked(sm, NULL);
    }
    assert_true(nfix > 0 && nops > 40);
    /* the learned sets have teeth: e.g. MatMul's transposes and ParseExample's lists */
    opinfo *mm = find("MatMul"), *pe = find("ParseExample");
    assert_non_null(mm);
    assert_non_null(pe);
    int tr = 0, ds = 0;
    for (int k = 0; k < mm->nattr; k++)
        tr += !strcmp(mm->attr[k], "transpose_a") || !strcmp(mm->attr[k], "transpose_b");
    for (int k = 0; k < pe->nattr; k++)
        ds += !strcmp(pe->attr[k], "dense_shapes") || !strcmp(pe->attr[k], "sparse_types");
    assert_int_equal(tr, 2);
    assert_int_equal(ds, 2);

    /* our export: a small wide-and-deep model on a few census rows */
    char tmp[256], cfg[8192];
    snprintf(tmp, sizeof tmp, "%s", tsd_test_tmpdir());
    snprintf(cfg, sizeof cfg,
             "data { train_files: \"%s\" column_names: [\"age\", \"workclass\", \"fnlwgt\", "
             "\"education\", \"education_num\", \"marital_status\", \"occupation\", "
             "\"relationship\", \"race\", \"gender\", \"capital_gain\", \"capital_loss\", "
             "\"hours_per_week\", \"native_country\", \"income_bracket\"] label_column: "
             "\"income_bracket\" label_vocabulary: [\"<=50K\", \">50K\"] max_steps: 3 }\n"
             "feature_columns { name: \"education\" part: \"linear\" vocabulary_list { "
             "vocabulary: [\"Bachelors\", \"HS-grad\"] num_oov_buckets: 2 } }\n"
             "feature_columns { name: \"occupation\" part: \"linear\" hash_bucket { "
             "hash_bucket_size: 50 } }\n"
             "feature_columns { name: \"age\" part: \"linear\" bucketized { boundaries: [30, "
             "50] } }\n"
             "feature_columns { part: \"linear\" crossed { keys: [\"age_bucketized\", "
             "\"education\"] hash_bucket_size: 20 } }\n"
             "feature_columns { name: \"hours_per_week\" part: \"dnn\" numeric { normalize: "
             "true } }\n"
             "feature_columns { part: \"dnn\" indicator { categorical: \"education\" } }\n"
             "feature_columns { part: \"dnn\" embedding { categorical: \"occupation\" "
             "dimension: 3 } }\n"
             "estimator { type: \"DNNLinearCombinedClassifier\" hidden_units: [4] }\n"
             "run_config { model_dir: \"model\" }\n",
             tsd_test_path("datasets/census/adult.test.csv"));
    char path[512];
    snprintf(path, sizeof path, "%s/trainer.config", tmp);
    assert_int_equal(tsd_test_write_file(path, cfg, strlen(cfg)), 0);
    tsd_status st = TSD_STATUS_INIT;
    trn_metrics m;
    char *dir = NULL;
    if (trn_run(path, NULL, &m, &dir, &st) != TSD_OK)
        fail_msg("train: %s", st.msg);
    snprintf(path, sizeof path, "%s/saved_model.pb", dir);
    Tensorflow__SavedModel *sm = read_sm(path);
    assert_non_null(sm);
    const Tensorflow__GraphDef *g = sm->meta_graphs[0]->graph_def;
    int checked = 0, unknown = 0, bad = 0;
    char unknown_ops[1024] = "";
    for (size_t i = 0; i < g->n_node; i++) {
        const Tensorflow__NodeDef *n = g->node[i];
        opinfo *o = find(n->op);
        if (!o) {
            if (!strstr(unknown_ops, n->op)) {
                strncat(unknown_ops, " ", sizeof unknown_ops - strlen(unknown_ops) - 1);
                strncat(unknown_ops, n->op, sizeof unknown_ops - strlen(unknown_ops) - 1);
                unknown++;
            }
            continue;
        }
        checked++;
        for (int k = 0; k < o->nattr; k++) {
            const Tensorflow__AttrValue *v = NULL;
            for (size_t a = 0; a < n->n_attr; a++)
                if (!strcmp(n->attr[a]->key, o->attr[k]))
                    v = n->attr[a]->value;
            if (!v) {
                print_message("node '%s' (%s): no attr '%s', which TensorFlow writes\n", n->name,
                              n->op, o->attr[k]);
                bad++;
            } else if ((int)v->value_case != o->kind[k]) {
                print_message("node '%s' (%s): attr '%s' is of kind %d, TensorFlow writes %d\n",
                              n->name, n->op, o->attr[k], (int)v->value_case, o->kind[k]);
                bad++;
            }
        }
    }
    print_message("%d nodes checked against TensorFlow's attrs; ops no fixture uses:%s\n", checked,
                  unknown_ops);
    assert_int_equal(bad, 0);
    assert_true(checked > 80);
    assert_true(unknown <= 10);
    tensorflow__saved_model__free_unpacked(sm, NULL);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_attrs_match_tensorflow)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
