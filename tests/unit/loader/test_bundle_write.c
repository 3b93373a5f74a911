/*
 * test_bundle_write.c - the checkpoint writer against real TensorFlow-written
 * bundles: reading a fixture and writing it back must give the same bytes
 * (saved_model_counter, half_plus_three: both files; census wide&deep, TF
 * 1.8: the data file byte for byte and every index entry equal; the TF 2.14
 * string tensor with its size and CRCs); no file appears under the final
 * names before finish; the `checkpoint` state file text and its reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/loader.h"
#include "tests/unit/test_util.h"

#define TFS "models/tfserving/"

/* Copy every tensor of the fixture bundle `rel` into a new bundle at prefix. */
static void rewrite(const char *rel, const char *prefix)
{
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = NULL;
    if (ldr_bundle_open(tsd_test_path(rel), &b, &st) != TSD_OK)
        fail_msg("open %s: %s", rel, st.msg);
    ldr_bundle_writer *w = ldr_bundle_writer_new(prefix, &st);
    assert_non_null(w);
    for (size_t i = 0; i < ldr_bundle_num_entries(b); i++) {
        const ldr_bundle_entry *e = ldr_bundle_entry_at(b, i);
        eng_tensor t;
        assert_int_equal(ldr_bundle_read(b, e, &t, &st), TSD_OK);
        if (ldr_bundle_writer_add(w, e->key, &t, &st) != TSD_OK)
            fail_msg("add %s: %s", e->key, st.msg);
        eng_tensor_free_data(&t);
    }
    if (ldr_bundle_writer_finish(w, &st) != TSD_OK)
        fail_msg("finish: %s", st.msg);
    ldr_bundle_writer_free(w);
    ldr_bundle_close(b);
}

static void same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *da = tsd_test_read_file(a, &la), *db = tsd_test_read_file(b, &lb);
    assert_non_null(da);
    assert_non_null(db);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    free(da);
    free(db);
}

static void byte_identical(const char *rel)
{
    char prefix[512], a[600], b[600];
    snprintf(prefix, sizeof prefix, "%s/rewritten", tsd_test_tmpdir());
    rewrite(rel, prefix);
    static const char *const sfx[] = {".index", ".data-00000-of-00001"};
    for (int i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "%s%s", tsd_test_path(rel), sfx[i]);
        snprintf(b, sizeof b, "%s%s", prefix, sfx[i]);
        same_file(a, b);
    }
}

static void test_counter_byte_identical(void **state)
{
    (void)state;
    byte_identical(TFS "saved_model_counter/00000123/variables/variables");
}

static void test_half_plus_three_byte_identical(void **state)
{
    (void)state;
    byte_identical(TFS "saved_model_half_plus_three/00000123/variables/variables");
}

/* TF 1.8 omitted the shape of scalars (global_step); we always write it, as
 * TF does since. Everything else must match. */
static void test_census(void **state)
{
    (void)state;
    const char *rel = "models/estimator/census_wide_deep/1527087570/variables/variables";
    char prefix[512], a[600], b[600];
    snprintf(prefix, sizeof prefix, "%s/census", tsd_test_tmpdir());
    rewrite(rel, prefix);
    snprintf(a, sizeof a, "%s.data-00000-of-00001", tsd_test_path(rel));
    snprintf(b, sizeof b, "%s.data-00000-of-00001", prefix);
    same_file(a, b);
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *orig = NULL, *ours = NULL;
    assert_int_equal(ldr_bundle_open(tsd_test_path(rel), &orig, &st), TSD_OK);
    assert_int_equal(ldr_bundle_open(prefix, &ours, &st), TSD_OK);
    assert_int_equal(ldr_bundle_num_entries(orig), 21);
    assert_int_equal(ldr_bundle_num_entries(ours), 21);
    for (size_t i = 0; i < 21; i++) {
        const ldr_bundle_entry *x = ldr_bundle_entry_at(orig, i), *y = ldr_bundle_entry_at(ours, i);
        assert_string_equal(x->key, y->key);
        assert_int_equal(x->dtype, y->dtype);
        assert_int_equal(x->rank, y->rank);
        assert_memory_equal(x->dims, y->dims, sizeof(int64_t) * (size_t)x->rank);
        assert_int_equal(x->offset, y->offset);
        assert_int_equal(x->size, y->size);
        assert_int_equal(x->crc32c, y->crc32c);
    }
    ldr_bundle_close(orig);
    ldr_bundle_close(ours);
}

/* A DT_STRING tensor: formats.md's vector (size 619, CRC 0x47b7d190). */
static void test_string_tensor(void **state)
{
    (void)state;
    const char *rel = TFS "saved_model_half_plus_two_tf2_cpu/00000123/variables/variables";
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s/strings", tsd_test_tmpdir());
    rewrite(rel, prefix);
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *ours = NULL;
    assert_int_equal(ldr_bundle_open(prefix, &ours, &st), TSD_OK);
    const ldr_bundle_entry *e = ldr_bundle_find(ours, "_CHECKPOINTABLE_OBJECT_GRAPH");
    assert_non_null(e);
    assert_int_equal(e->dtype, ENG_DT_STRING);
    assert_int_equal(e->size, 619);
    assert_int_equal(e->crc32c, 0x47b7d190u);
    eng_tensor t;
    assert_int_equal(ldr_bundle_read(ours, e, &t, &st), TSD_OK); /* every CRC checks */
    eng_tensor_free_data(&t);
    ldr_bundle_close(ours);
}

/* An index larger than one 256 KiB block: several data blocks, separator
 * keys in the index block; every entry must read back. */
static void test_many_blocks(void **state)
{
    (void)state;
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s/many", tsd_test_tmpdir());
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle_writer *w = ldr_bundle_writer_new(prefix, &st);
    enum { N = 6000 };
    char key[128];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "dnn/hiddenlayer_%04d/some/rather/long/variable/name/kernel", i);
        float v = (float)i;
        eng_tensor t = {.dtype = ENG_DT_FLOAT, .rank = 1, .data = &v, .nbytes = 4};
        t.dims[0] = 1;
        assert_int_equal(ldr_bundle_writer_add(w, key, &t, &st), TSD_OK);
    }
    assert_int_equal(ldr_bundle_writer_finish(w, &st), TSD_OK);
    ldr_bundle_writer_free(w);
    char path[600];
    snprintf(path, sizeof path, "%s.index", prefix);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 262144); /* more than one data block */
    ldr_bundle *b = NULL;
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    assert_int_equal(ldr_bundle_num_entries(b), N);
    for (int i = 0; i < N; i += 97) {
        snprintf(key, sizeof key, "dnn/hiddenlayer_%04d/some/rather/long/variable/name/kernel", i);
        eng_tensor t;
        assert_int_equal(ldr_bundle_read(b, ldr_bundle_find(b, key), &t, &st), TSD_OK);
        assert_true(*(float *)t.data == (float)i);
        eng_tensor_free_data(&t);
    }
    ldr_bundle_close(b);
}

static size_t count_files(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

static void test_nothing_visible_before_finish(void **state)
{
    (void)state;
    char dir[512], prefix[600], path[700];
    snprintf(dir, sizeof dir, "%s/atomic", tsd_test_tmpdir());
    mkdir(dir, 0700);
    snprintf(prefix, sizeof prefix, "%s/model.ckpt-7", dir);
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle_writer *w = ldr_bundle_writer_new(prefix, &st);
    float v[3] = {1, 2, 3};
    int64_t dims[1] = {3};
    eng_tensor t = {.dtype = ENG_DT_FLOAT, .rank = 1, .data = v, .nbytes = sizeof v};
    t.dims[0] = dims[0];
    assert_int_equal(ldr_bundle_writer_add(w, "w", &t, &st), TSD_OK);
    assert_int_equal(ldr_bundle_writer_add(w, "w", &t, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "duplicate tensor key 'w'"));
    t.nbytes = 8; /* does not match the shape */
    assert_int_equal(ldr_bundle_writer_add(w, "bad", &t, &st), TSD_INVALID_ARGUMENT);
    snprintf(path, sizeof path, "%s.index", prefix);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
    assert_int_not_equal(access(path, F_OK), 0);
    ldr_bundle_writer_free(w); /* abandoned: its temporary file goes too */
    assert_int_equal(count_files(dir), 0);
}

static void test_checkpoint_state(void **state)
{
    (void)state;
    char dir[512], prefix[600];
    snprintf(dir, sizeof dir, "%s/state", tsd_test_tmpdir());
    mkdir(dir, 0700);
    tsd_status st = TSD_STATUS_INIT;
    char *latest = NULL, **all = NULL;
    size_t nall = 0;
    assert_int_equal(ldr_checkpoint_state_read(dir, &latest, &all, &nall, &st), TSD_NOT_FOUND);
    static const char *const paths[] = {"model.ckpt-200", "model.ckpt-400"};
    assert_int_equal(ldr_checkpoint_state_write(dir, "model.ckpt-400", paths, 2, &st), TSD_OK);
    char file[700];
    snprintf(file, sizeof file, "%s/checkpoint", dir);
    size_t len;
    char *text = tsd_test_read_file(file, &len);
    static const char want[] = "model_checkpoint_path: \"model.ckpt-400\"\n"
                               "all_model_checkpoint_paths: \"model.ckpt-200\"\n"
                               "all_model_checkpoint_paths: \"model.ckpt-400\"\n";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(text, want, len);
    free(text);
    /* the state points at a bundle that does not exist: not a checkpoint */
    assert_int_equal(ldr_checkpoint_state_read(dir, &latest, &all, &nall, &st), TSD_NOT_FOUND);
    assert_non_null(strstr(st.msg, "model.ckpt-400.index"));
    snprintf(prefix, sizeof prefix, "%s/model.ckpt-400", dir);
    ldr_bundle_writer *w = ldr_bundle_writer_new(prefix, &st);
    int64_t step = 400;
    eng_tensor t = {.dtype = ENG_DT_INT64, .rank = 0, .data = &step, .nbytes = 8};
    assert_int_equal(ldr_bundle_writer_add(w, "global_step", &t, &st), TSD_OK);
    assert_int_equal(ldr_bundle_writer_finish(w, &st), TSD_OK);
    ldr_bundle_writer_free(w);
    assert_int_equal(ldr_checkpoint_state_read(dir, &latest, &all, &nall, &st), TSD_OK);
    assert_string_equal(latest, prefix);
    assert_int_equal(nall, 2);
    char want0[700];
    snprintf(want0, sizeof want0, "%s/model.ckpt-200", dir);
    assert_string_equal(all[0], want0);
    free(latest);
    for (size_t i = 0; i < nall; i++)
        free(all[i]);
    free(all);
    /* and the bundle reads back */
    ldr_bundle *b = NULL;
    assert_int_equal(ldr_bundle_open(prefix, &b, &st), TSD_OK);
    eng_tensor r;
    assert_int_equal(ldr_bundle_read(b, ldr_bundle_find(b, "global_step"), &r, &st), TSD_OK);
    assert_int_equal(*(int64_t *)r.data, 400);
    eng_tensor_free_data(&r);
    ldr_bundle_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_byte_identical),
        cmocka_unit_test(test_half_plus_three_byte_identical),
        cmocka_unit_test(test_census),
        cmocka_unit_test(test_string_tensor),
        cmocka_unit_test(test_many_blocks),
        cmocka_unit_test(test_nothing_visible_before_finish),
        cmocka_unit_test(test_checkpoint_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
