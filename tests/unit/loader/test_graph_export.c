/*
 * test_graph_export.c - the GraphDef writer, checked by use: a real
 * TensorFlow-written graph (census wide&deep, TF 1.8: ParseExample, lookup
 * tables, hashed crosses, embeddings; and half_plus_three) is imported,
 * written back with ldr_graph_export, put into a copy of the SavedModel in
 * place of the original graph, and the copy must load and answer exactly
 * as the original does. Exporting the re-imported graph again must give
 * the same bytes (the writer is deterministic and loses nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loader/loader.h"
#include "loader/model_int.h"
#include "tensorflow/core/example/example.pb-c.h"
#include "tensorflow/core/protobuf/saved_model.pb-c.h"
#include "tests/unit/test_util.h"

static void copy_file(const char *from, const char *to)
{
    size_t len = 0;
    char *d = tsd_test_read_file(from, &len);
    assert_non_null(d);
    assert_int_equal(tsd_test_write_file(to, d, len), 0);
    free(d);
}

/* Write <dst>/ = <src>/ with saved_model.pb's graph replaced by our export;
 * returns the exported bytes of the original graph. */
static uint8_t *rewrite_model(const char *src, const char *dst, size_t *glen)
{
    char path[1024], to[1024];
    snprintf(path, sizeof path, "%s/saved_model.pb", src);
    size_t len = 0;
    char *pb = tsd_test_read_file(path, &len);
    assert_non_null(pb);
    Tensorflow__SavedModel *sm = tensorflow__saved_model__unpack(NULL, len, (uint8_t *)pb);
    assert_non_null(sm);
    assert_int_equal(sm->n_meta_graphs, 1);
    Tensorflow__MetaGraphDef *mg = sm->meta_graphs[0];
    eng_graph *g = NULL;
    tsd_status st = TSD_STATUS_INIT;
    if (ldr__graph_import(mg->graph_def,
                          mg->meta_info_def ? mg->meta_info_def->stripped_op_list : NULL, &g,
                          &st) != TSD_OK)
        fail_msg("import: %s", st.msg);
    uint8_t *bytes = NULL;
    if (ldr_graph_export(g, &bytes, glen, &st) != TSD_OK)
        fail_msg("export: %s", st.msg);
    eng_graph_free(g);
    Tensorflow__GraphDef *ours = tensorflow__graph_def__unpack(NULL, *glen, bytes);
    assert_non_null(ours);
    Tensorflow__GraphDef *orig = mg->graph_def;
    mg->graph_def = ours;
    size_t n = tensorflow__saved_model__get_packed_size(sm);
    uint8_t *out = malloc(n);
    tensorflow__saved_model__pack(sm, out);
    mg->graph_def = orig;
    tensorflow__graph_def__free_unpacked(ours, NULL);
    tensorflow__saved_model__free_unpacked(sm, NULL);
    free(pb);
    mkdir(dst, 0700);
    snprintf(to, sizeof to, "%s/saved_model.pb", dst);
    assert_int_equal(tsd_test_write_file(to, out, n), 0);
    free(out);
    snprintf(to, sizeof to, "%s/variables", dst);
    mkdir(to, 0700);
    static const char *const vf[] = {"variables.index", "variables.data-00000-of-00001"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/variables/%s", src, vf[i]);
        snprintf(to, sizeof to, "%s/variables/%s", dst, vf[i]);
        copy_file(path, to);
    }
    return bytes;
}

/* Export of the graph imported from bytes must equal bytes. */
static void idempotent(const uint8_t *bytes, size_t len)
{
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, len, bytes);
    assert_non_null(gd);
    eng_graph *g = NULL;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(ldr__graph_import(gd, NULL, &g, &st), TSD_OK);
    uint8_t *again = NULL;
    size_t alen = 0;
    assert_int_equal(ldr_graph_export(g, &again, &alen, &st), TSD_OK);
    assert_int_equal(alen, len);
    assert_memory_equal(again, bytes, len);
    free(again);
    eng_graph_free(g);
    tensorflow__graph_def__free_unpacked(gd, NULL);
}

static ldr_model *load(const char *dir)
{
    ldr_model *m = NULL;
    tsd_status st = TSD_STATUS_INIT;
    ldr_load_options lo = {NULL, 0, "m"};
    if (ldr_model_load(dir, &lo, &m, &st) != TSD_OK)
        fail_msg("load %s: %s", dir, st.msg);
    return m;
}

/* Serialized census tf.Example (models.md case A). */
static size_t census_example(uint8_t *buf)
{
    static const char *const skeys[] = {"education",  "gender",       "native_country",
                                        "occupation", "relationship", "workclass"};
    static const char *const svals[] = {"11th",      "Male",   "United-States", "Machine-op-inspct",
                                        "Own-child", "Private"};
    static const char *const fkeys[] = {"age", "capital_gain", "capital_loss", "education_num",
                                        "hours_per_week"};
    static const float fvals[] = {25, 0, 0, 7, 40};
    Tensorflow__Feature feats[11];
    Tensorflow__BytesList bl[6];
    Tensorflow__FloatList fl[5];
    ProtobufCBinaryData bd[6];
    float fv[5];
    Tensorflow__Features__FeatureEntry ents[11], *pe[11];
    for (int i = 0; i < 6; i++) {
        tensorflow__bytes_list__init(&bl[i]);
        bd[i] = (ProtobufCBinaryData){strlen(svals[i]), (uint8_t *)svals[i]};
        bl[i].n_value = 1;
        bl[i].value = &bd[i];
        tensorflow__feature__init(&feats[i]);
        feats[i].kind_case = TENSORFLOW__FEATURE__KIND_BYTES_LIST;
        feats[i].bytes_list = &bl[i];
        tensorflow__features__feature_entry__init(&ents[i]);
        ents[i].key = (char *)skeys[i];
        ents[i].value = &feats[i];
        pe[i] = &ents[i];
    }
    for (int i = 0; i < 5; i++) {
        tensorflow__float_list__init(&fl[i]);
        fv[i] = fvals[i];
        fl[i].n_value = 1;
        fl[i].value = &fv[i];
        tensorflow__feature__init(&feats[6 + i]);
        feats[6 + i].kind_case = TENSORFLOW__FEATURE__KIND_FLOAT_LIST;
        feats[6 + i].float_list = &fl[i];
        tensorflow__features__feature_entry__init(&ents[6 + i]);
        ents[6 + i].key = (char *)fkeys[i];
        ents[6 + i].value = &feats[6 + i];
        pe[6 + i] = &ents[6 + i];
    }
    Tensorflow__Features fs = TENSORFLOW__FEATURES__INIT;
    fs.n_feature = 11;
    fs.feature = pe;
    Tensorflow__Example ex = TENSORFLOW__EXAMPLE__INIT;
    ex.features = &fs;
    return tensorflow__example__pack(&ex, buf);
}

static void run(ldr_model *m, const char *sig, const eng_tensor *in, eng_tensor *out, int nout)
{
    tsd_status st = TSD_STATUS_INIT;
    const eng_plan *p = ldr_model_plan(m, sig, &st);
    assert_non_null(p);
    eng_call *c = eng_call_new();
    eng_tensor tmp[8];
    if (eng_plan_run(p, c, in, tmp, &st) != TSD_OK)
        fail_msg("run: %s", st.msg);
    for (int i = 0; i < nout; i++)
        assert_int_equal(eng_tensor_copy(&out[i], &tmp[i], &st), TSD_OK);
    eng_call_free(c);
}

static void test_census_round_trip(void **state)
{
    (void)state;
    const char *src = tsd_test_path("models/estimator/census_wide_deep/1527087570");
    char dst[512];
    snprintf(dst, sizeof dst, "%s/census_rt", tsd_test_tmpdir());
    size_t glen;
    uint8_t *bytes = rewrite_model(src, dst, &glen);
    idempotent(bytes, glen);
    free(bytes);
    ldr_model *a = load(src), *b = load(dst);
    uint8_t buf[1024];
    eng_str ex = {(const char *)buf, census_example(buf)};
    eng_tensor in = {.dtype = ENG_DT_STRING, .rank = 1, .data = &ex, .nbytes = sizeof ex};
    in.dims[0] = 1;
    eng_tensor oa[2], ob[2];
    run(a, "serving_default", &in, oa, 2);
    run(b, "serving_default", &in, ob, 2);
    for (int k = 0; k < 2; k++) { /* classes then scores, in signature order */
        assert_int_equal(oa[k].dtype, ob[k].dtype);
        if (oa[k].dtype == ENG_DT_FLOAT) {
            assert_memory_equal(oa[k].data, ob[k].data, oa[k].nbytes);
            assert_true(((float *)oa[k].data)[1] > 0.0139f && ((float *)oa[k].data)[1] < 0.0141f);
        }
        eng_tensor_free_data(&oa[k]);
        eng_tensor_free_data(&ob[k]);
    }
    ldr_model_free(a);
    ldr_model_free(b);
}

static void test_half_plus_three_round_trip(void **state)
{
    (void)state;
    const char *src = tsd_test_path("models/tfserving/saved_model_half_plus_three/00000123");
    char dst[512];
    snprintf(dst, sizeof dst, "%s/hp3_rt", tsd_test_tmpdir());
    size_t glen;
    uint8_t *bytes = rewrite_model(src, dst, &glen);
    idempotent(bytes, glen);
    free(bytes);
    ldr_model *b = load(dst);
    float x[3] = {1, 2, 5};
    eng_tensor in = {.dtype = ENG_DT_FLOAT, .rank = 1, .data = x, .nbytes = sizeof x};
    in.dims[0] = 3;
    eng_tensor out;
    run(b, "serving_default", &in, &out, 1);
    const float *y = out.data;
    assert_true(y[0] == 3.5f && y[1] == 4.0f && y[2] == 5.5f); /* models.md */
    eng_tensor_free_data(&out);
    ldr_model_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_census_round_trip),
        cmocka_unit_test(test_half_plus_three_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
