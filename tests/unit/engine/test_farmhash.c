/*
 * test_farmhash.c - eng_fingerprint64 / eng_fingerprint_cat64 against the
 * published test vectors and against libfarmhash on random inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/farmhash.h"

uint64_t tsd_oracle_fingerprint64(const char *s, size_t len);

static uint64_t fp_str(const char *s)
{
    return eng_fingerprint64(s, strlen(s));
}

static uint64_t fp_rep(char c, size_t n)
{
    char buf[256];
    memset(buf, c, n);
    return eng_fingerprint64(buf, n);
}

static void test_vectors(void **state)
{
    (void)state;
    assert_true(eng_fingerprint64(NULL, 0) == 11160318154034397263ULL);
    assert_true(fp_str("") == 0x9ae16a3b2f90404fULL);
    assert_true(fp_str("a") == 12917804110809363939ULL);
    assert_true(fp_str("b") == 11795596070477164822ULL);
    assert_true(fp_str("c") == 11430444447143000872ULL);
    assert_true(fp_str("d") == 4470636696479570465ULL);
    assert_true(fp_str("abc") == 2640714258260161385ULL);
    assert_true(fp_str("abcd") == 1897425971756105985ULL);
    assert_true(fp_str("abcdefg") == 4341691227789030229ULL);
    assert_true(fp_str("abcdefgh") == 18368443631171807497ULL);
    assert_true(fp_str("hello") == 13009744463427800296ULL);
    assert_true(fp_str("hello world") == 6381520714923946011ULL);
    assert_true(fp_str("0123456789abcdef") == 6105018409752412263ULL);
    assert_true(fp_str("0123456789abcdefg") == 12024047538191061578ULL);
    assert_true(fp_rep('x', 32) == 12901576723999808517ULL);
    assert_true(fp_rep('x', 33) == 12270365409943098935ULL);
    assert_true(fp_str("The quick brown fox jumps over the lazy dog") == 12375473906752639284ULL);
    assert_true(fp_rep('y', 64) == 4471793200125962424ULL);
    assert_true(fp_rep('z', 65) == 8299915583762718517ULL);
    assert_true(fp_rep('z', 128) == 5180972258444977603ULL);
    assert_true(fp_rep('z', 129) == 7040814056546431796ULL);
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    assert_true(eng_fingerprint64(all, 256) == 5291657088564336415ULL);
    assert_true(fp_str("42") == 623910487284905736ULL);
    assert_true(fp_str("batch1-FC1-F1") == 9500645273450923559ULL);
}

static void test_hash_buckets(void **state)
{
    (void)state;
    /* TF string_to_hash_bucket_op_test: buckets=10 for a,b,c,d -> 9,2,2,5. */
    assert_int_equal(fp_str("a") % 10, 9);
    assert_int_equal(fp_str("b") % 10, 2);
    assert_int_equal(fp_str("c") % 10, 2);
    assert_int_equal(fp_str("d") % 10, 5);
    assert_int_equal(fp_str("42") % 1000, 736);
}

static void test_cat64(void **state)
{
    (void)state;
    assert_true(eng_fingerprint_cat64(0, 0) == 6351753276682545529ULL);
    assert_true(eng_fingerprint_cat64(1, 2) == 14454907135238785252ULL);
    assert_true(eng_fingerprint_cat64(2, 1) != eng_fingerprint_cat64(1, 2));
    uint64_t h = 0xDECAFCAFFEULL;
    h = eng_fingerprint_cat64(h, fp_str("batch1-FC1-F1"));
    assert_true(h == 15904826868338612598ULL);
    h = eng_fingerprint_cat64(h, fp_str("batch1-FC2-F1"));
    assert_true(h == 8318102788159600197ULL);
    h = eng_fingerprint_cat64(h, fp_str("batch1-FC3-F1"));
    assert_true(h == 11195065473251060783ULL);
    assert_true(h % (uint64_t)INT64_MAX == 1971693436396284976ULL);
    assert_int_equal(h % 100, 83);
}

/* xorshift64*: fixed-seed pseudo-random bytes for the oracle comparison. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void test_oracle_random(void **state)
{
    (void)state;
    uint64_t seed = 0x1234567890abcdefULL;
    char buf[512];
    for (int iter = 0; iter < 2000; iter++) {
        size_t len = (size_t)(rng_next(&seed) % 301);
        /* Offset the start so unaligned loads are exercised too. */
        size_t off = (size_t)(rng_next(&seed) % 8);
        for (size_t i = 0; i < len; i++)
            buf[off + i] = (char)(rng_next(&seed) & 0xff);
        uint64_t want = tsd_oracle_fingerprint64(buf + off, len);
        uint64_t got = eng_fingerprint64(buf + off, len);
        if (want != got)
            fail_msg("length %zu: got %llu, oracle %llu", len, (unsigned long long)got,
                     (unsigned long long)want);
    }
    /* Every length 0..300 once with the same contents. */
    for (size_t i = 0; i < 300; i++)
        buf[i] = (char)(i * 7 + 3);
    for (size_t len = 0; len <= 300; len++)
        assert_true(eng_fingerprint64(buf, len) == tsd_oracle_fingerprint64(buf, len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_hash_buckets),
        cmocka_unit_test(test_cat64),
        cmocka_unit_test(test_oracle_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
