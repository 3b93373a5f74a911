/*
 * test_tensor_proto.c - TensorProto <-> eng_tensor: every typed field,
 * tensor_content (numeric and string encodings), the fill rules (empty =
 * zeros, short = repeat last), bounds checks, round trips through the
 * protobuf wire format, and Const values read from a real SavedModel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "loader/tensor_proto.h"
#include "tensorflow/core/protobuf/saved_model.pb-c.h"
#include "tests/unit/test_util.h"

/* A TensorProto with a shape of up to 8 dims, on the stack. */
typedef struct tp_fixture {
    Tensorflow__TensorProto tp;
    Tensorflow__TensorShapeProto sp;
    Tensorflow__TensorShapeProto__Dim dims[9];
    Tensorflow__TensorShapeProto__Dim *pdims[9];
} tp_fixture;

static void tp_init(tp_fixture *f, int dtype, int rank, const int64_t *dims)
{
    tensorflow__tensor_proto__init(&f->tp);
    tensorflow__tensor_shape_proto__init(&f->sp);
    for (int i = 0; i < rank; i++) {
        tensorflow__tensor_shape_proto__dim__init(&f->dims[i]);
        f->dims[i].size = dims[i];
        f->pdims[i] = &f->dims[i];
    }
    f->sp.n_dim = (size_t)rank;
    f->sp.dim = f->pdims;
    f->tp.dtype = (Tensorflow__DataType)dtype;
    f->tp.tensor_shape = &f->sp;
}

static void test_float_val_full(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {2, 3};
    float vals[] = {1, 2, 3, 4, 5, 6.5f};
    tp_init(&f, ENG_DT_FLOAT, 2, dims);
    f.tp.n_float_val = 6;
    f.tp.float_val = vals;
    eng_tensor t;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_OK);
    assert_int_equal(t.dtype, ENG_DT_FLOAT);
    assert_int_equal(t.rank, 2);
    assert_int_equal(t.dims[0], 2);
    assert_int_equal(t.dims[1], 3);
    assert_memory_equal(t.data, vals, sizeof vals);
    eng_tensor_free_data(&t);
}

static void test_single_value_fills(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {2, 2};
    float v = 7.25f;
    tp_init(&f, ENG_DT_FLOAT, 2, dims);
    f.tp.n_float_val = 1;
    f.tp.float_val = &v;
    eng_tensor t;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    for (int i = 0; i < 4; i++)
        assert_true(((float *)t.data)[i] == 7.25f);
    eng_tensor_free_data(&t);
}

static void test_short_field_repeats_last(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {4};
    int32_t vals[] = {1, -2};
    tp_init(&f, ENG_DT_INT32, 1, dims);
    f.tp.n_int_val = 2;
    f.tp.int_val = vals;
    eng_tensor t;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    int32_t want[] = {1, -2, -2, -2};
    assert_memory_equal(t.data, want, sizeof want);
    eng_tensor_free_data(&t);
}

static void test_empty_field_is_zeros(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {3};
    tp_init(&f, ENG_DT_INT64, 1, dims);
    eng_tensor t;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(((int64_t *)t.data)[i], 0);
    eng_tensor_free_data(&t);
}

static void test_absent_shape_is_scalar(void **state)
{
    (void)state;
    Tensorflow__TensorProto tp;
    tensorflow__tensor_proto__init(&tp);
    tp.dtype = TENSORFLOW__DATA_TYPE__DT_DOUBLE;
    double v = -1.5;
    tp.n_double_val = 1;
    tp.double_val = &v;
    eng_tensor t;
    assert_int_equal(ldr_tensor_from_proto(&tp, &t, NULL), TSD_OK);
    assert_int_equal(t.rank, 0);
    assert_true(*(double *)t.data == -1.5);
    eng_tensor_free_data(&t);
}

static void test_zero_elements(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {0};
    tp_init(&f, ENG_DT_FLOAT, 1, dims);
    eng_tensor t;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_int_equal(t.rank, 1);
    assert_int_equal(t.dims[0], 0);
    assert_int_equal(eng_tensor_num_elements(&t), 0);
    eng_tensor_free_data(&t);
}

static void test_tensor_content(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {2};
    float vals[] = {1.5f, -2.0f};
    tp_init(&f, ENG_DT_FLOAT, 1, dims);
    f.tp.tensor_content.data = (uint8_t *)vals;
    f.tp.tensor_content.len = sizeof vals;
    eng_tensor t;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_memory_equal(t.data, vals, sizeof vals);
    eng_tensor_free_data(&t);

    /* wrong size: 7 bytes for two floats */
    f.tp.tensor_content.len = 7;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "tensor_content has 7 bytes"));
}

static void test_narrow_int_types(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {3};
    int32_t vals[] = {-1, 127, 300};
    eng_tensor t;

    tp_init(&f, ENG_DT_INT8, 1, dims);
    f.tp.n_int_val = 3;
    f.tp.int_val = vals;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_int_equal(((int8_t *)t.data)[0], -1);
    assert_int_equal(((int8_t *)t.data)[1], 127);
    eng_tensor_free_data(&t);

    f.tp.dtype = TENSORFLOW__DATA_TYPE__DT_UINT8;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_int_equal(((uint8_t *)t.data)[0], 255);
    assert_int_equal(((uint8_t *)t.data)[2], 300 & 0xff);
    eng_tensor_free_data(&t);

    f.tp.dtype = TENSORFLOW__DATA_TYPE__DT_INT16;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_int_equal(((int16_t *)t.data)[2], 300);
    eng_tensor_free_data(&t);

    f.tp.dtype = TENSORFLOW__DATA_TYPE__DT_UINT16;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_int_equal(((uint16_t *)t.data)[0], 65535);
    eng_tensor_free_data(&t);
}

static void test_other_typed_fields(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {2};
    eng_tensor t;

    protobuf_c_boolean bv[] = {1, 0};
    tp_init(&f, ENG_DT_BOOL, 1, dims);
    f.tp.n_bool_val = 2;
    f.tp.bool_val = bv;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_int_equal(((uint8_t *)t.data)[0], 1);
    assert_int_equal(((uint8_t *)t.data)[1], 0);
    eng_tensor_free_data(&t);

    /* bool tensor_content: any non-zero byte is true (found by fuzzing: a
     * byte 232 used to survive as 232 and change on re-encoding) */
    uint8_t raw[2] = {232, 0};
    tp_init(&f, ENG_DT_BOOL, 1, dims);
    f.tp.tensor_content.data = raw;
    f.tp.tensor_content.len = 2;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_int_equal(((uint8_t *)t.data)[0], 1);
    assert_int_equal(((uint8_t *)t.data)[1], 0);
    eng_tensor_free_data(&t);

    int32_t hv[] = {0x3c00, 0xc000}; /* 1.0, -2.0 in binary16 */
    tp_init(&f, ENG_DT_HALF, 1, dims);
    f.tp.n_half_val = 2;
    f.tp.half_val = hv;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_int_equal(((uint16_t *)t.data)[0], 0x3c00);
    assert_int_equal(((uint16_t *)t.data)[1], 0xc000);
    eng_tensor_free_data(&t);

    uint32_t u32[] = {4000000000u, 1};
    tp_init(&f, ENG_DT_UINT32, 1, dims);
    f.tp.n_uint32_val = 2;
    f.tp.uint32_val = u32;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_int_equal(((uint32_t *)t.data)[0], 4000000000u);
    eng_tensor_free_data(&t);

    uint64_t u64[] = {UINT64_MAX};
    tp_init(&f, ENG_DT_UINT64, 1, dims);
    f.tp.n_uint64_val = 1;
    f.tp.uint64_val = u64;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_true(((uint64_t *)t.data)[1] == UINT64_MAX);
    eng_tensor_free_data(&t);

    int64_t i64[] = {INT64_MIN, 42};
    tp_init(&f, ENG_DT_INT64, 1, dims);
    f.tp.n_int64_val = 2;
    f.tp.int64_val = i64;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    assert_true(((int64_t *)t.data)[0] == INT64_MIN);
    assert_int_equal(((int64_t *)t.data)[1], 42);
    eng_tensor_free_data(&t);
}

static void test_strings(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {3};
    ProtobufCBinaryData sv[] = {{1, (uint8_t *)"a"}, {2, (uint8_t *)"bc"}, {0, NULL}};
    tp_init(&f, ENG_DT_STRING, 1, dims);
    f.tp.n_string_val = 3;
    f.tp.string_val = sv;
    eng_tensor t;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    const eng_str *s = t.data;
    assert_int_equal(s[0].len, 1);
    assert_memory_equal(s[0].ptr, "a", 1);
    assert_int_equal(s[1].len, 2);
    assert_memory_equal(s[1].ptr, "bc", 2);
    assert_int_equal(s[2].len, 0);
    eng_tensor_free_data(&t);

    /* one value fills all three */
    f.tp.n_string_val = 1;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    s = t.data;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s[i].len, 1);
        assert_memory_equal(s[i].ptr, "a", 1);
    }
    eng_tensor_free_data(&t);

    /* a repeated value may not blow up: 1 MiB repeated over 64 elements is
     * refused, over 8 it is fine */
    static uint8_t big[1 << 20];
    ProtobufCBinaryData bv[1] = {{sizeof big, big}};
    int64_t d64[] = {64};
    tp_init(&f, ENG_DT_STRING, 1, d64);
    f.tp.n_string_val = 1;
    f.tp.string_val = bv;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "repeating the last of 1 values over 64 elements"));
    int64_t d8[] = {8};
    tp_init(&f, ENG_DT_STRING, 1, d8); /* 8 MiB: within the limit */
    f.tp.n_string_val = 1;
    f.tp.string_val = bv;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_OK);
    eng_tensor_free_data(&t);

    /* too many */
    int64_t one[] = {1};
    tp_init(&f, ENG_DT_STRING, 1, one);
    f.tp.n_string_val = 2;
    f.tp.string_val = sv;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_INVALID_ARGUMENT);
}

static void test_string_content(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {2};
    /* varint lengths 3 and 0x81 0x01 (= 129) would be too long; use 3, 2 */
    uint8_t content[] = {3, 2, 'f', 'o', 'o', 'h', 'i'};
    tp_init(&f, ENG_DT_STRING, 1, dims);
    f.tp.tensor_content.data = content;
    f.tp.tensor_content.len = sizeof content;
    eng_tensor t;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_OK);
    const eng_str *s = t.data;
    assert_int_equal(s[0].len, 3);
    assert_memory_equal(s[0].ptr, "foo", 3);
    assert_int_equal(s[1].len, 2);
    assert_memory_equal(s[1].ptr, "hi", 2);
    eng_tensor_free_data(&t);

    /* lengths claim more bytes than follow */
    uint8_t bad[] = {3, 9, 'f', 'o', 'o'};
    f.tp.tensor_content.data = bad;
    f.tp.tensor_content.len = sizeof bad;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "string tensor_content"));

    /* truncated varint */
    uint8_t trunc[] = {0x80};
    f.tp.tensor_content.data = trunc;
    f.tp.tensor_content.len = 1;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, NULL), TSD_INVALID_ARGUMENT);
}

static void test_bad_shapes(void **state)
{
    (void)state;
    tp_fixture f;
    eng_tensor t;
    tsd_status st = TSD_STATUS_INIT;
    float v = 1;

    int64_t neg[] = {2, -1};
    tp_init(&f, ENG_DT_FLOAT, 2, neg);
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);

    int64_t neg2[] = {-5};
    tp_init(&f, ENG_DT_FLOAT, 1, neg2);
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);

    /* overflowing product */
    int64_t huge[] = {(int64_t)1 << 40, (int64_t)1 << 40};
    tp_init(&f, ENG_DT_FLOAT, 2, huge);
    f.tp.n_float_val = 1;
    f.tp.float_val = &v;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);

    /* a single value may not expand into gigabytes */
    int64_t big[] = {(int64_t)1 << 29, 4};
    tp_init(&f, ENG_DT_FLOAT, 2, big);
    f.tp.n_float_val = 1;
    f.tp.float_val = &v;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);

    /* rank 9 */
    int64_t r9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    tp_init(&f, ENG_DT_FLOAT, 9, r9);
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);

    /* unknown rank is not a concrete tensor */
    tp_init(&f, ENG_DT_FLOAT, 0, NULL);
    f.sp.unknown_rank = 1;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);

    /* more values than elements */
    float three[] = {1, 2, 3};
    int64_t two[] = {2};
    tp_init(&f, ENG_DT_FLOAT, 1, two);
    f.tp.n_float_val = 3;
    f.tp.float_val = three;
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "3 values for 2 elements"));

    /* unsupported dtypes: complex64 (8), resource (20) */
    tp_init(&f, 8, 1, two);
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);
    tp_init(&f, ENG_DT_RESOURCE, 0, NULL);
    assert_int_equal(ldr_tensor_from_proto(&f.tp, &t, &st), TSD_INVALID_ARGUMENT);
}

static void test_shape_from_proto(void **state)
{
    (void)state;
    tp_fixture f;
    int64_t dims[] = {-1, 3};
    tp_init(&f, ENG_DT_FLOAT, 2, dims);
    eng_shape s;
    assert_int_equal(ldr_shape_from_proto(&f.sp, &s, NULL), TSD_OK);
    assert_int_equal(s.rank, 2);
    assert_int_equal(s.dims[0], -1);
    assert_int_equal(s.dims[1], 3);
    f.sp.unknown_rank = 1;
    assert_int_equal(ldr_shape_from_proto(&f.sp, &s, NULL), TSD_OK);
    assert_int_equal(s.rank, -1);
    assert_int_equal(ldr_shape_from_proto(NULL, &s, NULL), TSD_OK);
    assert_int_equal(s.rank, 0);
    int64_t bad[] = {-7};
    tp_init(&f, ENG_DT_FLOAT, 1, bad);
    assert_int_equal(ldr_shape_from_proto(&f.sp, &s, NULL), TSD_INVALID_ARGUMENT);
}

/* Encode, serialize, parse, decode: must give back the same tensor. */
static void round_trip(const eng_tensor *t, int use_content)
{
    Tensorflow__TensorProto *p;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(ldr_tensor_to_proto(t, use_content, &p, &st), TSD_OK);
    size_t n = tensorflow__tensor_proto__get_packed_size(p);
    uint8_t *buf = malloc(n + 1);
    tensorflow__tensor_proto__pack(p, buf);
    tensorflow__tensor_proto__free_unpacked(p, NULL);
    Tensorflow__TensorProto *q = tensorflow__tensor_proto__unpack(NULL, n, buf);
    assert_non_null(q);
    eng_tensor back;
    assert_int_equal(ldr_tensor_from_proto(q, &back, &st), TSD_OK);
    assert_int_equal(back.dtype, t->dtype);
    assert_int_equal(back.rank, t->rank);
    for (int i = 0; i < t->rank; i++)
        assert_int_equal(back.dims[i], t->dims[i]);
    int64_t ne = eng_tensor_num_elements(t);
    if (t->dtype == ENG_DT_STRING) {
        const eng_str *a = t->data, *b = back.data;
        for (int64_t i = 0; i < ne; i++) {
            assert_int_equal(a[i].len, b[i].len);
            assert_memory_equal(a[i].ptr, b[i].ptr, a[i].len);
        }
    } else if (ne > 0) {
        assert_memory_equal(back.data, t->data, (size_t)ne * eng_dtype_size(t->dtype));
    }
    eng_tensor_free_data(&back);
    tensorflow__tensor_proto__free_unpacked(q, NULL);
    free(buf);
}

static void test_round_trips(void **state)
{
    (void)state;
    static const eng_dtype types[] = {ENG_DT_FLOAT, ENG_DT_DOUBLE, ENG_DT_INT32,  ENG_DT_INT16,
                                      ENG_DT_INT8,  ENG_DT_UINT8,  ENG_DT_UINT16, ENG_DT_INT64,
                                      ENG_DT_BOOL,  ENG_DT_HALF,   ENG_DT_UINT32, ENG_DT_UINT64};
    int64_t dims[] = {2, 3};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        eng_tensor t;
        assert_int_equal(eng_tensor_alloc(&t, types[k], 2, dims, NULL), TSD_OK);
        uint8_t *b = t.data;
        size_t es = eng_dtype_size(types[k]);
        for (size_t i = 0; i < 6 * es; i++)
            b[i] = (uint8_t)(i * 37 + k);
        if (types[k] == ENG_DT_BOOL)
            for (size_t i = 0; i < 6; i++)
                b[i] &= 1;
        if (types[k] == ENG_DT_FLOAT || types[k] == ENG_DT_DOUBLE)
            for (size_t i = 0; i < 6; i++) {
                if (types[k] == ENG_DT_FLOAT)
                    ((float *)b)[i] = (float)i * 0.1f - 0.25f;
                else
                    ((double *)b)[i] = (double)i / 3.0;
            }
        round_trip(&t, 1);
        round_trip(&t, 0);
        eng_tensor_free_data(&t);
    }
    /* strings, including an empty one and a scalar */
    eng_str sv[] = {{"hello", 5}, {"", 0}, {"x\0y", 3}};
    eng_tensor s = {
        .dtype = ENG_DT_STRING, .rank = 1, .dims = {3}, .data = sv, .nbytes = sizeof sv};
    round_trip(&s, 1);
    eng_tensor sc = {.dtype = ENG_DT_STRING, .rank = 0, .data = sv, .nbytes = sizeof sv[0]};
    round_trip(&sc, 0);
    float fv = 3.5f;
    eng_tensor fs = {.dtype = ENG_DT_FLOAT, .rank = 0, .data = &fv, .nbytes = sizeof fv};
    round_trip(&fs, 0);
    /* an empty tensor */
    eng_tensor e = {.dtype = ENG_DT_FLOAT, .rank = 2, .dims = {0, 4}, .data = NULL};
    round_trip(&e, 1);
}

static void test_to_proto_fields(void **state)
{
    (void)state;
    int32_t v[] = {5, -6};
    eng_tensor t = {.dtype = ENG_DT_INT32, .rank = 1, .dims = {2}, .data = v, .nbytes = sizeof v};
    Tensorflow__TensorProto *p;
    assert_int_equal(ldr_tensor_to_proto(&t, 0, &p, NULL), TSD_OK);
    assert_int_equal(p->dtype, TENSORFLOW__DATA_TYPE__DT_INT32);
    assert_int_equal(p->tensor_shape->n_dim, 1);
    assert_int_equal(p->tensor_shape->dim[0]->size, 2);
    assert_int_equal(p->n_int_val, 2);
    assert_int_equal(p->int_val[1], -6);
    assert_int_equal(p->tensor_content.len, 0);
    tensorflow__tensor_proto__free_unpacked(p, NULL);
    assert_int_equal(ldr_tensor_to_proto(&t, 1, &p, NULL), TSD_OK);
    assert_int_equal(p->n_int_val, 0);
    assert_int_equal(p->tensor_content.len, 8);
    tensorflow__tensor_proto__free_unpacked(p, NULL);
    eng_tensor r = {.dtype = ENG_DT_RESOURCE, .rank = 0};
    assert_int_equal(ldr_tensor_to_proto(&r, 1, &p, NULL), TSD_INVALID_ARGUMENT);
}

/* Const values of a real TF 1.14 export decode to what the generator wrote. */
static void test_real_consts(void **state)
{
    (void)state;
    size_t len = 0;
    char *buf = tsd_test_read_file(
        tsd_test_path("models/tfserving/saved_model_half_plus_two_cpu/00000123/saved_model.pb"),
        &len);
    assert_non_null(buf);
    Tensorflow__SavedModel *sm = tensorflow__saved_model__unpack(NULL, len, (uint8_t *)buf);
    assert_non_null(sm);
    const Tensorflow__GraphDef *g = sm->meta_graphs[0]->graph_def;
    int seen = 0;
    for (size_t i = 0; i < g->n_node; i++) {
        const Tensorflow__NodeDef *nd = g->node[i];
        const Tensorflow__TensorProto *tp = NULL;
        for (size_t a = 0; a < nd->n_attr; a++)
            if (strcmp(nd->attr[a]->key, "value") == 0)
                tp = nd->attr[a]->value->tensor;
        if (!tp)
            continue;
        eng_tensor t;
        assert_int_equal(ldr_tensor_from_proto(tp, &t, NULL), TSD_OK);
        if (strcmp(nd->name, "a/initial_value") == 0) {
            assert_int_equal(t.rank, 0);
            assert_true(*(float *)t.data == 0.5f);
            seen++;
        } else if (strcmp(nd->name, "b/initial_value") == 0) {
            assert_true(*(float *)t.data == 2.0f);
            seen++;
        } else if (strcmp(nd->name, "Assign/value") == 0) {
            const eng_str *s = t.data;
            assert_int_equal(s->len, 7);
            assert_memory_equal(s->ptr, "foo.txt", 7);
            seen++;
        } else if (strcmp(nd->name, "ParseExample/Const") == 0) {
            assert_int_equal(t.rank, 1);
            assert_int_equal(t.dims[0], 0);
            seen++;
        }
        eng_tensor_free_data(&t);
    }
    assert_int_equal(seen, 4);
    tensorflow__saved_model__free_unpacked(sm, NULL);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_val_full),
        cmocka_unit_test(test_single_value_fills),
        cmocka_unit_test(test_short_field_repeats_last),
        cmocka_unit_test(test_empty_field_is_zeros),
        cmocka_unit_test(test_absent_shape_is_scalar),
        cmocka_unit_test(test_zero_elements),
        cmocka_unit_test(test_tensor_content),
        cmocka_unit_test(test_narrow_int_types),
        cmocka_unit_test(test_other_typed_fields),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_string_content),
        cmocka_unit_test(test_bad_shapes),
        cmocka_unit_test(test_shape_from_proto),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_to_proto_fields),
        cmocka_unit_test(test_real_consts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
