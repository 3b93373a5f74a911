/*
 * test_tensor.c - tensors: dtype sizes and TensorFlow names, allocation,
 * deep copy (strings included), element limits, shape formatting, and the
 * typed attr getters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "engine/engine.h"
#include "engine/ops/op.h"
#include "engine/testkit.h"

static void test_dtype_sizes_names(void **state)
{
    (void)state;
    assert_int_equal(eng_dtype_size(ENG_DT_FLOAT), 4);
    assert_int_equal(eng_dtype_size(ENG_DT_DOUBLE), 8);
    assert_int_equal(eng_dtype_size(ENG_DT_INT64), 8);
    assert_int_equal(eng_dtype_size(ENG_DT_INT8), 1);
    assert_int_equal(eng_dtype_size(ENG_DT_BOOL), 1);
    assert_int_equal(eng_dtype_size(ENG_DT_HALF), 2);
    assert_int_equal(eng_dtype_size(ENG_DT_STRING), sizeof(eng_str));
    assert_int_equal(eng_dtype_size(ENG_DT_INVALID), 0);
    assert_int_equal(eng_dtype_size((eng_dtype)99), 0);
    assert_string_equal(eng_dtype_name(ENG_DT_FLOAT), "float");
    assert_string_equal(eng_dtype_name(ENG_DT_INT32), "int32");
    assert_string_equal(eng_dtype_name(ENG_DT_STRING), "string");
    assert_string_equal(eng_dtype_name(ENG_DT_INT64), "int64");
    assert_string_equal(eng_dtype_name(ENG_DT_BOOL), "bool");
    assert_string_equal(eng_dtype_name(ENG_DT_RESOURCE), "resource");
    assert_string_equal(eng_dtype_name((eng_dtype)(ENG_DT_FLOAT + ENG_DT_REF_OFFSET)), "float_ref");
    assert_string_equal(eng_dtype_name((eng_dtype)77), "unknown");
}

static void test_alloc_numeric(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_tensor t;
    int64_t dims[2] = {3, 5};
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, 2, dims, &st), TSD_OK);
    assert_int_equal(t.nbytes, 60);
    assert_int_equal(eng_tensor_num_elements(&t), 15);
    const float *f = t.data;
    for (int i = 0; i < 15; i++)
        assert_true(f[i] == 0.0f);
    eng_tensor_free_data(&t);
    assert_null(t.data);
    /* scalar */
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_INT64, 0, NULL, &st), TSD_OK);
    assert_int_equal(t.nbytes, 8);
    assert_int_equal(eng_tensor_num_elements(&t), 1);
    eng_tensor_free_data(&t);
    /* zero elements */
    int64_t z[2] = {0, 7};
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, 2, z, &st), TSD_OK);
    assert_int_equal(t.nbytes, 0);
    eng_tensor_free_data(&t);
}

static void test_alloc_limits(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_tensor t;
    /* 2^20 * 2^20 elements would be 4 TiB: must fail before allocating. */
    int64_t big[2] = {1 << 20, 1 << 20};
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, 2, big, &st), TSD_RESOURCE_EXHAUSTED);
    assert_null(t.data);
    /* Overflowing products are caught too. */
    int64_t huge[3] = {INT64_C(1) << 31, INT64_C(1) << 31, INT64_C(1) << 31};
    assert_int_not_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, 3, huge, &st), TSD_OK);
    int64_t neg[1] = {-3};
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, 1, neg, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "negative"));
    int64_t d1[1] = {2};
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_INVALID, 1, d1, &st), TSD_INVALID_ARGUMENT);
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, ENG_MAX_RANK + 1, d1, &st),
                     TSD_INVALID_ARGUMENT);
}

static void test_strings_alloc_copy(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_tensor t;
    int64_t dims[1] = {3};
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_STRING, 1, dims, &st), TSD_OK);
    eng_str *s = t.data;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s[i].len, 0);
        assert_non_null(s[i].ptr);
    }
    eng_tensor_free_data(&t);

    char b0[] = "hello", b2[] = "x\0y";
    eng_str src[3] = {{b0, 5}, {"", 0}, {b2, 3}};
    eng_tensor in = eng_test_tensor(ENG_DT_STRING, 1, dims, src);
    eng_tensor cp;
    assert_int_equal(eng_tensor_copy(&cp, &in, &st), TSD_OK);
    /* Mutating the source must not affect the copy (deep copy). */
    b0[0] = 'J';
    b2[2] = 'z';
    const eng_str *c = cp.data;
    assert_int_equal(cp.dtype, ENG_DT_STRING);
    assert_int_equal(cp.dims[0], 3);
    assert_int_equal(c[0].len, 5);
    assert_memory_equal(c[0].ptr, "hello", 5);
    assert_int_equal(c[1].len, 0);
    assert_int_equal(c[2].len, 3);
    assert_memory_equal(c[2].ptr, "x\0y", 3);
    eng_tensor_free_data(&cp);
}

static void test_copy_numeric_and_bad(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    int32_t v[4] = {1, -2, 3, 2147483647};
    int64_t dims[2] = {2, 2};
    eng_tensor in = eng_test_tensor(ENG_DT_INT32, 2, dims, v);
    eng_tensor cp;
    assert_int_equal(eng_tensor_copy(&cp, &in, &st), TSD_OK);
    v[0] = 99;
    assert_int_equal(((int32_t *)cp.data)[0], 1);
    assert_int_equal(((int32_t *)cp.data)[3], 2147483647);
    assert_int_equal(cp.rank, 2);
    eng_tensor_free_data(&cp);
    /* nbytes inconsistent with the shape is rejected. */
    in.nbytes = 12;
    assert_int_equal(eng_tensor_copy(&cp, &in, &st), TSD_INVALID_ARGUMENT);
}

static void test_shape_str(void **state)
{
    (void)state;
    char buf[64];
    int64_t d[3] = {2, -1, 7};
    assert_string_equal(eng_shape_str(d, 3, buf, sizeof buf), "[2,?,7]");
    assert_string_equal(eng_shape_str(d, 0, buf, sizeof buf), "[]");
    assert_string_equal(eng_shape_str(d, -1, buf, sizeof buf), "<unknown>");
    char tiny[4];
    eng_shape_str(d, 3, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), 3);
}

static void test_attr_getters(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    eng_node *n;
    assert_int_equal(eng_graph_add_node(g, "n", "Foo", NULL, 0, &n, &st), TSD_OK);
    eng_attr a = eng_test_attr_int(42);
    assert_int_equal(eng_node_set_attr(g, n, "k", &a, &st), TSD_OK);
    a = eng_test_attr_string("abc");
    assert_int_equal(eng_node_set_attr(g, n, "s", &a, &st), TSD_OK);
    a = eng_test_attr_type(ENG_DT_INT64);
    assert_int_equal(eng_node_set_attr(g, n, "T", &a, &st), TSD_OK);
    a = eng_test_attr_float(0.25);
    assert_int_equal(eng_node_set_attr(g, n, "alpha", &a, &st), TSD_OK);
    int64_t li[3] = {4, 5, 6};
    a = eng_test_attr_list_int(li, 3);
    assert_int_equal(eng_node_set_attr(g, n, "list", &a, &st), TSD_OK);
    li[0] = 0; /* deep-copied */
    /* overwrite an existing attr */
    a = eng_test_attr_int(43);
    assert_int_equal(eng_node_set_attr(g, n, "k", &a, &st), TSD_OK);

    int64_t i;
    assert_int_equal(eng_attr_int(n, "k", &i, &st), TSD_OK);
    assert_int_equal(i, 43);
    eng_str s;
    assert_int_equal(eng_attr_string(n, "s", &s, &st), TSD_OK);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.ptr, "abc", 3);
    eng_dtype dt;
    assert_int_equal(eng_attr_type(n, "T", &dt, &st), TSD_OK);
    assert_int_equal(dt, ENG_DT_INT64);
    double f;
    assert_int_equal(eng_attr_float(n, "alpha", &f, &st), TSD_OK);
    assert_true(f == 0.25);
    const eng_attr *la = eng_node_attr(n, "list");
    assert_non_null(la);
    assert_int_equal(la->n, 3);
    assert_int_equal(la->ints[0], 4);
    /* wrong kind and missing attrs */
    assert_int_equal(eng_attr_int(n, "s", &i, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "node 'n'"));
    assert_non_null(strstr(st.msg, "'s'"));
    int b;
    assert_int_equal(eng_attr_bool(n, "nope", &b, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "missing attr 'nope'"));
    assert_int_equal(eng_attr_int_or(n, "nope", 7), 7);
    assert_int_equal(eng_attr_int_or(n, "k", 7), 43);
    assert_int_equal(eng_attr_bool_or(n, "k", 1), 1); /* wrong kind → default */
    assert_true(eng_attr_float_or(n, "alpha", 1.0) == 0.25);
    assert_int_equal(eng_attr_type_or(n, "nope", ENG_DT_BOOL), ENG_DT_BOOL);
    assert_null(eng_node_attr(n, "zzz"));
    eng_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtype_sizes_names),    cmocka_unit_test(test_alloc_numeric),
        cmocka_unit_test(test_alloc_limits),         cmocka_unit_test(test_strings_alloc_copy),
        cmocka_unit_test(test_copy_numeric_and_bad), cmocka_unit_test(test_shape_str),
        cmocka_unit_test(test_attr_getters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
