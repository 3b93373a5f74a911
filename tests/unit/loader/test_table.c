/*
 * test_table.c - the LevelDB-format table reader on real TensorFlow index
 * files (formats.md §1.10), on tables written by an independent test
 * builder (multi-block, prefix compression, Snappy), and on corrupted input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "loader/loader.h"
#include "loader/table_int.h"
#include "tests/unit/test_util.h"
#include "tests/unit/loader/table_builder.h"

#define COUNTER_INDEX "models/tfserving/saved_model_counter/00000123/variables/variables.index"
#define CENSUS_INDEX "models/estimator/census_wide_deep/1527087570/variables/variables.index"

static uint8_t *load(const char *rel, size_t *len)
{
    uint8_t *d = (uint8_t *)tsd_test_read_file(tsd_test_path(rel), len);
    assert_non_null(d);
    return d;
}

static ldr__table *open_ok(const uint8_t *d, size_t n, const char *name)
{
    tsd_status st = TSD_STATUS_INIT;
    ldr__table *t = NULL;
    tsd_code rc = ldr__table_open_mem(d, n, name, 0, &t, &st);
    if (rc != TSD_OK)
        fail_msg("open %s: %s", name, st.msg);
    assert_non_null(t);
    return t;
}

static void test_counter_exact(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *d = load(COUNTER_INDEX, &n);
    assert_int_equal(n, 123);
    ldr__table *t = open_ok(d, n, "variables.index");
    /* formats.md §1.10 item 1 */
    assert_int_equal(t->metaindex.offset, 43);
    assert_int_equal(t->metaindex.size, 8);
    assert_int_equal(t->metaindex.masked_crc, 0xb0a1f2c0u);
    assert_int_equal(t->index.offset, 56);
    assert_int_equal(t->index.size, 14);
    assert_int_equal(t->index.masked_crc, 0x0361b122u);
    assert_int_equal(t->nblocks, 1);
    assert_int_equal(t->blocks[0].offset, 0);
    assert_int_equal(t->blocks[0].size, 38);
    assert_int_equal(t->blocks[0].type, 0);
    assert_int_equal(t->blocks[0].masked_crc, 0x7310a05fu);
    assert_int_equal(t->blocks[0].num_restarts, 1);
    assert_int_equal(t->blocks[0].restarts[0], 0);
    assert_int_equal(t->blocks[0].index_key_len, 1);
    assert_string_equal(t->blocks[0].index_key, "d");
    assert_int_equal(t->nentries, 2);
    assert_int_equal(t->entries[0].key_len, 0);
    static const uint8_t hdr[] = {0x08, 0x01, 0x1a, 0x02, 0x08, 0x01};
    assert_int_equal(t->entries[0].value_len, sizeof hdr);
    assert_memory_equal(t->entries[0].value, hdr, sizeof hdr);
    assert_string_equal(t->entries[1].key, "counter");
    static const uint8_t ent[] = {0x08, 0x01, 0x12, 0x00, 0x28, 0x04, 0x35, 0xa6, 0x7b, 0x11, 0x3a};
    assert_int_equal(t->entries[1].value_len, sizeof ent);
    assert_memory_equal(t->entries[1].value, ent, sizeof ent);
    ldr__table_free(t);
    free(d);
}

static void test_builder_reproduces_counter(void **state)
{
    /* Sanity of the test builder itself: it must write the counter index
     * byte for byte (formats.md §1.10 item 1 is a golden writer output). */
    (void)state;
    size_t n = 0;
    uint8_t *d = load(COUNTER_INDEX, &n);
    static const uint8_t hdr[] = {0x08, 0x01, 0x1a, 0x02, 0x08, 0x01};
    static const uint8_t ent[] = {0x08, 0x01, 0x12, 0x00, 0x28, 0x04, 0x35, 0xa6, 0x7b, 0x11, 0x3a};
    tb_kv kv[] = {{"", 0, hdr, sizeof hdr}, {"counter", 7, ent, sizeof ent}};
    tb_buf f = {0};
    tb_table(&f, kv, 2, 0, 16, 0);
    assert_int_equal(f.n, n);
    assert_memory_equal(f.p, d, n);
    free(f.p);
    free(d);
}

static const char *const census_keys[] = {
    "",
    "dnn/hiddenlayer_0/bias",
    "dnn/hiddenlayer_0/kernel",
    "dnn/hiddenlayer_1/bias",
    "dnn/hiddenlayer_1/kernel",
    "dnn/hiddenlayer_2/bias",
    "dnn/hiddenlayer_2/kernel",
    "dnn/hiddenlayer_3/bias",
    "dnn/hiddenlayer_3/kernel",
    "dnn/input_from_feature_columns/input_layer/occupation_embedding/embedding_weights",
    "dnn/logits/bias",
    "dnn/logits/kernel",
    "global_step",
    "linear/linear_model/age_bucketized/weights",
    "linear/linear_model/age_bucketized_X_education_X_occupation/weights",
    "linear/linear_model/bias_weights",
    "linear/linear_model/education/weights",
    "linear/linear_model/education_X_occupation/weights",
    "linear/linear_model/marital_status/weights",
    "linear/linear_model/occupation/weights",
    "linear/linear_model/relationship/weights",
    "linear/linear_model/workclass/weights",
};

static void test_census(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *d = load(CENSUS_INDEX, &n);
    assert_int_equal(n, 1025);
    ldr__table *t = open_ok(d, n, "variables.index");
    assert_int_equal(t->nblocks, 1);
    assert_int_equal(t->blocks[0].num_restarts, 2);
    assert_int_equal(t->blocks[0].restarts[0], 0);
    assert_int_equal(t->blocks[0].restarts[1], 632);
    assert_string_equal(t->blocks[0].index_key, "m");
    assert_int_equal(t->nentries, 22);
    for (size_t i = 0; i < 22; i++) {
        assert_string_equal(t->entries[i].key, census_keys[i]);
        assert_int_equal(t->entries[i].key_len, strlen(census_keys[i]));
    }
    ldr__table_free(t);
    free(d);
}

static void check_keys(const char *rel, int type, const char *const *keys, size_t nkeys)
{
    size_t n = 0;
    uint8_t *d = load(rel, &n);
    ldr__table *t = open_ok(d, n, "variables.index");
    assert_true(t->nblocks >= 1);
    assert_int_equal(t->blocks[0].type, type);
    assert_int_equal(t->nentries, nkeys);
    for (size_t i = 0; i < nkeys; i++)
        assert_string_equal(t->entries[i].key, keys[i]);
    ldr__table_free(t);
    free(d);
}

static void test_snappy_real(void **state)
{
    (void)state;
    static const char *const k1[] = {"", "a", "a2", "b", "c", "c2"};
    check_keys("models/tfserving/saved_model_half_plus_two_cpu/00000123/variables/"
               "variables.index",
               1, k1, 6);
    check_keys("models/tfserving/saved_model_half_plus_two_cpu_with_empty_saved_model_config/"
               "00000123/variables/variables.index",
               1, k1, 6);
    static const char *const k2[] = {"", "_CHECKPOINTABLE_OBJECT_GRAPH",
                                     "a/.ATTRIBUTES/VARIABLE_VALUE", "b/.ATTRIBUTES/VARIABLE_VALUE",
                                     "c/.ATTRIBUTES/VARIABLE_VALUE"};
    check_keys("models/tfserving/saved_model_half_plus_two_tf2_cpu/00000123/variables/"
               "variables.index",
               1, k2, 5);
    static const char *const k3[] = {"", "a", "b", "c"};
    check_keys("models/tfserving/saved_model_half_plus_three/00000123/variables/"
               "variables.index",
               0, k3, 4);
}

/* Build many sorted keys with long shared prefixes. */
static size_t make_kvs(tb_kv *kv, char keys[][48], uint8_t vals[][8], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(keys[i], 48, "layer_%03zu/kernel/%s", i / 3,
                 i % 3 == 0   ? "a"
                 : i % 3 == 1 ? "b"
                              : "c");
        for (int k = 0; k < 8; k++)
            vals[i][k] = (uint8_t)(i * 7 + (size_t)k);
        kv[i] = (tb_kv){keys[i], strlen(keys[i]), vals[i], (size_t)(i % 8) + 1};
    }
    return n;
}

static void roundtrip(size_t per_block, int restart, int snappy)
{
    enum { N = 300 };
    static tb_kv kv[N];
    static char keys[N][48];
    static uint8_t vals[N][8];
    make_kvs(kv, keys, vals, N);
    tb_buf f = {0};
    tb_table(&f, kv, N, per_block, restart, snappy);
    ldr__table *t = open_ok(f.p, f.n, "built.index");
    assert_int_equal(t->nentries, N);
    size_t want_blocks = per_block ? (N + per_block - 1) / per_block : 1;
    assert_int_equal(t->nblocks, want_blocks);
    for (size_t i = 0; i < N; i++) {
        assert_string_equal(t->entries[i].key, keys[i]);
        assert_int_equal(t->entries[i].value_len, kv[i].vlen);
        assert_memory_equal(t->entries[i].value, vals[i], kv[i].vlen);
        assert_int_equal(t->entries[i].block, per_block ? i / per_block : 0);
        assert_int_equal(t->blocks[t->entries[i].block].type, snappy ? 1 : 0);
    }
    size_t per = per_block ? per_block : N;
    assert_int_equal(t->blocks[0].num_restarts, (per + (size_t)restart - 1) / (size_t)restart);
    ldr__table_free(t);
    free(f.p);
}

static void test_builder_roundtrip(void **state)
{
    (void)state;
    roundtrip(0, 16, 0);
    roundtrip(0, 1, 0);
    roundtrip(37, 16, 0);
    roundtrip(37, 5, 1);
    roundtrip(1, 16, 1);
}

/* Expect failure with DATA_LOSS and the file name in the message. */
static void expect_bad(const uint8_t *d, size_t n, const char *what)
{
    tsd_status st = TSD_STATUS_INIT;
    ldr__table *t = (ldr__table *)(uintptr_t)1;
    tsd_code rc = ldr__table_open_mem(d, n, "variables.index", 0, &t, &st);
    if (rc == TSD_OK)
        fail_msg("%s: corrupted table accepted", what);
    assert_null(t);
    assert_int_equal(rc, st.code);
    assert_non_null(strstr(st.msg, "variables.index"));
}

static void test_truncations(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *d = load(COUNTER_INDEX, &n);
    for (size_t len = 0; len < n; len++) {
        uint8_t *c = malloc(len ? len : 1);
        memcpy(c, d, len);
        expect_bad(c, len, "truncated counter");
        free(c);
    }
    free(d);
    d = load(CENSUS_INDEX, &n);
    for (size_t len = 0; len < n; len += 7) {
        uint8_t *c = malloc(len ? len : 1);
        memcpy(c, d, len);
        expect_bad(c, len, "truncated census");
        free(c);
    }
    free(d);
}

static void test_bit_flips(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *d = load(COUNTER_INDEX, &n);
    uint8_t *c = malloc(n);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(c, d, n);
            c[i] ^= (uint8_t)(1u << bit);
            /* Covered regions: data block + trailer [0,43), metaindex +
             * trailer [43,56), index + trailer [56,75), footer handles
             * [75,79) and magic [115,123). The footer padding is ignored
             * by design (as in TensorFlow), so flips there may be accepted. */
            int covered = i < 79 || i >= 115;
            /* 0x0e -> 0x8e 0x00 is an overlong varint of the same value 14. */
            if (i == 78 && bit == 7)
                covered = 0;
            tsd_status st = TSD_STATUS_INIT;
            ldr__table *t = NULL;
            tsd_code rc = ldr__table_open_mem(c, n, "variables.index", 0, &t, &st);
            if (covered) {
                if (rc == TSD_OK)
                    fail_msg("flip at byte %zu bit %d accepted", i, bit);
                assert_non_null(strstr(st.msg, "variables.index"));
            } else if (rc == TSD_OK) {
                assert_int_equal(t->nentries, 2);
            }
            ldr__table_free(t);
        }
    }
    /* Named messages for each region. */
    tsd_status st = TSD_STATUS_INIT;
    ldr__table *t = NULL;
    memcpy(c, d, n);
    c[10] ^= 1;
    assert_int_equal(ldr__table_open_mem(c, n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "variables.index: data block at offset 0: checksum mismatch"));
    memcpy(c, d, n);
    c[n - 1] ^= 0x80;
    assert_int_equal(ldr__table_open_mem(c, n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "bad magic"));
    memcpy(c, d, n);
    c[39] ^= 0x04; /* data block trailer CRC */
    assert_int_equal(ldr__table_open_mem(c, n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "checksum mismatch"));
    /* LDR_TABLE_NO_CRC (fuzzing) skips only the CRC comparison */
    assert_int_equal(ldr__table_open_mem(c, n, "variables.index", LDR_TABLE_NO_CRC, &t, &st),
                     TSD_OK);
    assert_int_equal(t->nentries, 2);
    ldr__table_free(t);
    t = NULL;
    memcpy(c, d, n);
    c[38] = 2; /* compression type byte: CRC mismatch first */
    assert_int_equal(ldr__table_open_mem(c, n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    free(c);
    free(d);
}

/* Rewrite a block's trailer CRC so that a content change passes the CRC. */
static void fix_crc(uint8_t *f, size_t off, size_t size)
{
    uint32_t c = tb_mask(tb_crc(tb_crc(0, f + off, size), f + off + size, 1));
    for (int i = 0; i < 4; i++)
        f[off + size + 1 + (size_t)i] = (uint8_t)(c >> (8 * i));
}

static void test_bad_structure(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *d = load(COUNTER_INDEX, &n);
    uint8_t *c = malloc(n);
    tsd_status st = TSD_STATUS_INIT;
    ldr__table *t = NULL;

    /* Unknown compression type with a valid CRC. */
    memcpy(c, d, n);
    c[38] = 2;
    fix_crc(c, 0, 38);
    assert_int_equal(ldr__table_open_mem(c, n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "unknown compression type 2"));

    /* Second entry claims to share 9 bytes with the empty first key. */
    memcpy(c, d, n);
    c[9] = 9;
    fix_crc(c, 0, 38);
    assert_int_equal(ldr__table_open_mem(c, n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "exceed the block"));

    /* Value length running past the restart array. */
    memcpy(c, d, n);
    c[11] = 0x30;
    fix_crc(c, 0, 38);
    assert_int_equal(ldr__table_open_mem(c, n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "entry at offset 9"));

    /* Huge restart count. */
    memcpy(c, d, n);
    c[34] = 0xff;
    fix_crc(c, 0, 38);
    assert_int_equal(ldr__table_open_mem(c, n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "bad restart count"));

    /* Index handle pointing past the end of the file. */
    memcpy(c, d, n);
    c[61] = 0x7f; /* data block size in the index entry value "00 26" -> "00 7f" */
    fix_crc(c, 56, 14);
    assert_int_equal(ldr__table_open_mem(c, n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "extends past the end"));
    free(c);
    free(d);

    /* Keys out of order (builder does not check). */
    static const uint8_t v[1] = {0};
    tb_kv kv[] = {{"b", 1, v, 1}, {"a", 1, v, 1}};
    tb_buf f = {0};
    tb_table(&f, kv, 2, 0, 16, 0);
    assert_int_equal(ldr__table_open_mem(f.p, f.n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "not greater than"));
    free(f.p);
    /* Duplicate key. */
    tb_kv kv2[] = {{"a", 1, v, 1}, {"a", 1, v, 1}};
    f = (tb_buf){0};
    tb_table(&f, kv2, 2, 0, 16, 0);
    assert_int_equal(ldr__table_open_mem(f.p, f.n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    free(f.p);
}

static void test_bad_snappy(void **state)
{
    (void)state;
    /* A Snappy block whose length header claims 2^32-1 bytes: refused
     * without allocating (validation fails first). */
    tb_buf blk = {0};
    tb_varint(&blk, 0xffffffffu);
    tb_byte(&blk, 0);
    tb_buf f = {0};
    uint8_t type = 1;
    tb_put(&f, blk.p, blk.n);
    tb_byte(&f, type);
    tb_fixed32(&f, tb_mask(tb_crc(tb_crc(0, blk.p, blk.n), &type, 1)));
    /* empty metaindex, then an index block with one entry "z" -> (0, blk.n) */
    tb_buf mb = {0};
    tb_block(&mb, NULL, 0, 1);
    uint64_t moff, msize;
    tb_emit(&f, &mb, 0, &moff, &msize);
    free(mb.p);
    tb_buf ib = {0}, hv = {0};
    tb_varint(&hv, 0);
    tb_varint(&hv, blk.n);
    tb_kv ikv = {"z", 1, hv.p, hv.n};
    tb_block(&ib, &ikv, 1, 1);
    uint64_t ioff, isize;
    tb_emit(&f, &ib, 0, &ioff, &isize);
    tb_buf foot = {0};
    tb_varint(&foot, moff);
    tb_varint(&foot, msize);
    tb_varint(&foot, ioff);
    tb_varint(&foot, isize);
    while (foot.n < 40)
        tb_byte(&foot, 0);
    tb_fixed64(&foot, 0xdb4775248b80fb57ull);
    tb_put(&f, foot.p, foot.n);
    tsd_status st = TSD_STATUS_INIT;
    ldr__table *t = NULL;
    assert_int_equal(ldr__table_open_mem(f.p, f.n, "variables.index", 0, &t, &st), TSD_DATA_LOSS);
    assert_non_null(strstr(st.msg, "Snappy"));
    free(blk.p);
    free(f.p);
    free(ib.p);
    free(hv.p);
    free(foot.p);
}

static void test_varint(void **state)
{
    (void)state;
    static const uint8_t a[] = {0xac, 0x02};
    const uint8_t *p = a;
    uint64_t v;
    assert_int_equal(ldr__get_varint64(&p, a + 2, &v), 0);
    assert_int_equal(v, 300);
    assert_ptr_equal(p, a + 2);
    p = a;
    assert_int_equal(ldr__get_varint64(&p, a + 1, &v), -1); /* truncated */
    static const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    p = max;
    assert_int_equal(ldr__get_varint64(&p, max + 10, &v), 0);
    assert_true(v == UINT64_MAX);
    static const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    p = over;
    assert_int_equal(ldr__get_varint64(&p, over + 10, &v), -1);
    static const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                     0x80, 0x80, 0x80, 0x80, 0x00};
    p = eleven;
    assert_int_equal(ldr__get_varint64(&p, eleven + 11, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_exact),
        cmocka_unit_test(test_builder_reproduces_counter),
        cmocka_unit_test(test_census),
        cmocka_unit_test(test_snappy_real),
        cmocka_unit_test(test_builder_roundtrip),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_bad_structure),
        cmocka_unit_test(test_bad_snappy),
        cmocka_unit_test(test_varint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
