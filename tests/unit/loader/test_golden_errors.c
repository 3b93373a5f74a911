/*
 * test_golden_errors.c - how model loading and signature runs fail: an
 * unsupported op (message names model, node and op; through the engine
 * and through a SavedModel whose signature reaches it), a missing model
 * directory, an unknown signature, a wrong feed dtype, and feeds claiming a
 * batch of 10^9 rows without the data to back it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "loader/model_int.h"
#include "tests/unit/loader/golden_util.h"
#include "tests/unit/loader/graphdef_builder.h"
#include "tensorflow/core/protobuf/saved_model.pb-c.h"

#define HP2 "models/tfserving/saved_model_half_plus_two_cpu/00000123"

static void test_unsupported_op(void **state)
{
    (void)state;
    Tensorflow__GraphDef *gd = gb_graph();
    Tensorflow__NodeDef *x = gb_add(gd, gb_node("x", "Placeholder", NULL));
    gb_attr(x, "dtype", gb_av_type(ENG_DT_FLOAT));
    gb_add(gd, gb_node("weird", "Foo", "x"));
    eng_graph *g = NULL;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(ldr__graph_import(gd, NULL, &g, &st), TSD_OK);
    eng_session *s = eng_session_new(g, "M", NULL, &st);
    assert_non_null(s); /* unknown ops are fine until a compile reaches them */
    const char *feeds[] = {"x:0"}, *fetches[] = {"weird:0"}, *ok_fetch[] = {"x:0"};
    eng_plan_spec spec = {feeds, 1, fetches, 1, NULL, 0};
    eng_plan *p = eng_plan_compile(s, &spec, &st);
    assert_null(p);
    if (!strstr(st.msg, "model M: node 'weird': op 'Foo' is not supported"))
        fail_msg("unexpected message: %s", st.msg);
    /* a plan that does not reach the node compiles */
    spec.fetches = ok_fetch;
    tsd_status_clear(&st);
    p = eng_plan_compile(s, &spec, &st);
    assert_non_null(p);
    eng_plan_free(p);
    eng_session_free(s);
    tensorflow__graph_def__free_unpacked(gd, NULL);
}

/* A copy of half_plus_two_cpu whose "Add" node has an unknown op fails to
 * load, naming the model, the first signature reaching it, node and op. */
static void test_signature_compile_error(void **state)
{
    (void)state;
    size_t len = 0;
    char *buf = tsd_test_read_file(tsd_test_path(HP2 "/saved_model.pb"), &len);
    assert_non_null(buf);
    Tensorflow__SavedModel *sm = tensorflow__saved_model__unpack(NULL, len, (uint8_t *)buf);
    free(buf);
    assert_non_null(sm);
    Tensorflow__GraphDef *gd = sm->meta_graphs[0]->graph_def;
    int found = 0;
    for (size_t i = 0; i < gd->n_node; i++) {
        if (strcmp(gd->node[i]->name, "Add") == 0) {
            free(gd->node[i]->op);
            gd->node[i]->op = strdup("FooAdd");
            found = 1;
        }
    }
    assert_true(found);
    size_t n = tensorflow__saved_model__get_packed_size(sm);
    uint8_t *out = malloc(n);
    tensorflow__saved_model__pack(sm, out);
    tensorflow__saved_model__free_unpacked(sm, NULL);
    const char *dir = tsd_test_tmpdir();
    assert_non_null(dir);
    char path[512];
    snprintf(path, sizeof path, "%s/saved_model.pb", dir);
    assert_int_equal(tsd_test_write_file(path, out, n), 0);
    free(out);

    ldr_model *m = NULL;
    tsd_status st = TSD_STATUS_INIT;
    ldr_load_options o = {NULL, 0, "broken v1"};
    assert_int_not_equal(ldr_model_load(dir, &o, &m, &st), TSD_OK);
    assert_null(m);
    if (!strstr(st.msg, "model broken v1: signature 'classify_x_to_y': ") ||
        !strstr(st.msg, "node 'Add': op 'FooAdd' is not supported") ||
        strstr(st.msg, "model broken v1: signature 'classify_x_to_y': model"))
        fail_msg("unexpected message: %s", st.msg);
    unlink(path);
    rmdir(dir);
}

static void test_missing_model(void **state)
{
    (void)state;
    ldr_model *m = NULL;
    tsd_status st = TSD_STATUS_INIT;
    ldr_load_options o = {NULL, 0, "ghost v1"};
    assert_int_not_equal(ldr_model_load("/nonexistent/tensord/model", &o, &m, &st), TSD_OK);
    assert_null(m);
    assert_non_null(strstr(st.msg, "model ghost v1: "));

    /* a tag set the file does not have */
    const char *tags[] = {"serve", "gpu"};
    ldr_load_options o2 = {tags, 2, "hp2"};
    assert_int_not_equal(ldr_model_load(tsd_test_path(HP2), &o2, &m, &st), TSD_OK);
    assert_null(m);
    assert_non_null(strstr(st.msg, "model hp2: "));
}

static void test_bad_feeds(void **state)
{
    (void)state;
    ldr_model *m = gold_load(HP2);
    tsd_status st = TSD_STATUS_INIT;
    assert_null(ldr_model_plan(m, "no_such_signature", &st));
    assert_int_equal(st.code, TSD_NOT_FOUND);
    const eng_plan *p = ldr_model_plan(m, "serving_default", &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_feed_dtype(p, 0), ENG_DT_FLOAT);
    eng_call *c = eng_call_new();
    eng_tensor out;

    /* int32 fed where the graph wants float */
    int32_t iv[] = {2};
    eng_tensor x = {
        .dtype = ENG_DT_INT32, .rank = 2, .dims = {1, 1}, .data = iv, .nbytes = sizeof iv};
    tsd_status_clear(&st);
    assert_int_equal(eng_plan_run(p, c, &x, &out, &st), TSD_INVALID_ARGUMENT);
    assert_true(st.msg[0] != '\0');

    /* a batch of 10^9 rows claimed with 4 bytes of data */
    float fv[] = {2.0f};
    x = (eng_tensor){
        .dtype = ENG_DT_FLOAT, .rank = 2, .dims = {1000000000, 1}, .data = fv, .nbytes = sizeof fv};
    tsd_status_clear(&st);
    assert_int_not_equal(eng_plan_run(p, c, &x, &out, &st), TSD_OK);

    /* the same for serialized Examples */
    const eng_plan *pr = ldr_model_plan(m, "regress_x_to_y", &st);
    assert_non_null(pr);
    eng_str ex = gold_example('f', "x", 2.0, 0);
    x = (eng_tensor){
        .dtype = ENG_DT_STRING, .rank = 1, .dims = {1000000000}, .data = &ex, .nbytes = sizeof ex};
    tsd_status_clear(&st);
    assert_int_not_equal(eng_plan_run(pr, c, &x, &out, &st), TSD_OK);

    /* an Example without the required feature x */
    eng_str ex2 = gold_example('f', "x2", 2.0, 0);
    x = gold_strs(&ex2, 1);
    tsd_status_clear(&st);
    assert_int_equal(eng_plan_run(pr, c, &x, &out, &st), TSD_INVALID_ARGUMENT);

    /* garbage bytes instead of an Example */
    eng_str junk = {"\xff\xff\xff", 3};
    x = gold_strs(&junk, 1);
    tsd_status_clear(&st);
    assert_int_equal(eng_plan_run(pr, c, &x, &out, &st), TSD_INVALID_ARGUMENT);

    /* the model still works afterwards */
    eng_tensor ok = gold_strs(&ex, 1);
    gold_run(m, "regress_x_to_y", &ok, &out, c);
    gold_close(((float *)out.data)[0], 3.0, 1e-5, "after errors");
    free((void *)ex.ptr);
    free((void *)ex2.ptr);
    eng_call_free(c);
    ldr_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unsupported_op),
        cmocka_unit_test(test_signature_compile_error),
        cmocka_unit_test(test_missing_model),
        cmocka_unit_test(test_bad_feeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
