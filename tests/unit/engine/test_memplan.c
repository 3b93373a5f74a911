/*
 * test_memplan.c - the memory planner and executor: liveness-based reuse
 * (a long chain needs about two buffers, not N), ALIAS0 outputs keep their
 * source alive (a wrong plan would overwrite a reshaped value), repeated
 * runs are identical and allocate nothing after warm-up, per-call limits,
 * a huge batch fails cleanly, and 4 threads share one plan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/plan_int.h"
#include "core_helpers.h"

#define WIDTH 64
#define CHAIN 40

/* x[B,64] → y_i = y_{i-1} * 1.5 (+ i-th constant alternately) → out. */
static eng_session *chain_session(void)
{
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    int64_t d[2] = {-1, WIDTH};
    h_ph(g, "x", ENG_DT_FLOAT, 2, d);
    h_scalarf(g, "k", 1.5f);
    h_scalarf(g, "one", 1.0f);
    char prev[32] = "x", name[32];
    for (int i = 0; i < CHAIN; i++) {
        snprintf(name, sizeof name, "y%d", i);
        h_bin(g, name, i % 2 ? "Add" : "Mul", prev, i % 2 ? "one" : "k");
        memcpy(prev, name, sizeof prev);
    }
    h_node(g, "out", "Identity", prev, NULL);
    eng_session *s = eng_session_new(g, "chain", NULL, &st);
    assert_non_null(s);
    return s;
}

/* Reference: the same chain computed naively. */
static float chain_ref(float x)
{
    for (int i = 0; i < CHAIN; i++)
        x = i % 2 ? x + 1.0f : x * 1.5f;
    return x;
}

static void test_liveness_reuse(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_session *s = chain_session();
    const char *feed[] = {"x:0"}, *fetch[] = {"out:0"};
    eng_plan *p = h_compile(s, feed, 1, fetch, 1, NULL, 0, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_num_steps(p), CHAIN);
    eng_shape sh = eng_plan_fetch_shape(p, 0);
    assert_int_equal(sh.rank, 2);
    assert_int_equal(sh.dims[0], ENG_DIM_BATCH);
    assert_int_equal(sh.dims[1], WIDTH);
    size_t bytes = 0;
    const int64_t B = 8;
    size_t one = (size_t)B * WIDTH * sizeof(float);
    assert_int_equal(eng__plan_arena_bytes(p, B, &bytes, &st), TSD_OK);
    /* Each step reads one buffer and writes another; the fetched result
     * keeps its own: at most 3 buffers instead of 40. */
    assert_true(bytes >= 2 * one);
    assert_true(bytes <= 3 * one);
    /* Sizes follow the batch. */
    size_t bytes2 = 0;
    assert_int_equal(eng__plan_arena_bytes(p, 2 * B, &bytes2, &st), TSD_OK);
    assert_int_equal(bytes2, 2 * bytes);

    float *x = malloc(one), expect;
    for (int i = 0; i < B * WIDTH; i++)
        x[i] = (float)(i % 13) - 6.0f;
    int64_t xd[2] = {B, WIDTH};
    eng_tensor fx = h_tf(x, 2, xd), out;
    eng_call *c = eng_call_new();
    for (int run = 0; run < 3; run++) {
        assert_int_equal(eng_plan_run(p, c, &fx, &out, &st), TSD_OK);
        assert_int_equal(out.dims[0], B);
        for (int i = 0; i < B * WIDTH; i++) {
            expect = chain_ref(x[i]);
            assert_float_equal(((float *)out.data)[i], expect, 1e-3 * (1 + fabsf(expect)));
        }
    }
    free(x);
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
}

static void test_no_growth_after_warmup(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_session *s = chain_session();
    const char *feed[] = {"x:0"}, *fetch[] = {"out:0"};
    eng_plan *p = h_compile(s, feed, 1, fetch, 1, NULL, 0, &st);
    eng_call *c = eng_call_new();
    float *x = calloc(16 * WIDTH, sizeof *x);
    int64_t d4[2] = {4, WIDTH}, d16[2] = {16, WIDTH};
    eng_tensor f4 = h_tf(x, 2, d4), f16 = h_tf(x, 2, d16), out;
    assert_int_equal(eng_plan_run(p, c, &f4, &out, &st), TSD_OK);
    uint64_t m4 = eng__call_num_mallocs(c);
    assert_true(m4 > 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(eng_plan_run(p, c, &f4, &out, &st), TSD_OK);
    assert_int_equal(eng__call_num_mallocs(c), m4);
    /* A larger batch grows once; then alternating needs nothing new. */
    assert_int_equal(eng_plan_run(p, c, &f16, &out, &st), TSD_OK);
    uint64_t m16 = eng__call_num_mallocs(c);
    for (int i = 0; i < 6; i++)
        assert_int_equal(eng_plan_run(p, c, i % 2 ? &f4 : &f16, &out, &st), TSD_OK);
    assert_int_equal(eng__call_num_mallocs(c), m16);
    free(x);
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
}

static void test_limits_and_huge_batch(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_session *s = chain_session();
    const char *feed[] = {"x:0"}, *fetch[] = {"out:0"};
    eng_plan *p = h_compile(s, feed, 1, fetch, 1, NULL, 0, &st);
    eng_call *c = eng_call_new();
    /* 10^9 rows: more than ENG_MAX_ELEMENTS, rejected while binding the
     * feed, before anything is planned, allocated or read (the buffer
     * behind this header is tiny). */
    float tiny[WIDTH] = {0};
    eng_tensor huge = h_tf(tiny, 2, (int64_t[]){1000000000, WIDTH});
    huge.nbytes = (size_t)1000000000 * WIDTH * sizeof(float);
    eng_tensor out;
    assert_int_equal(eng_plan_run(p, c, &huge, &out, &st), TSD_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(st.msg, "model chain: input 'x:0'"));
    assert_int_equal(eng__call_num_mallocs(c), 0);
    /* The planner refuses a batch whose arena would be absurd. */
    size_t bytes;
    assert_int_equal(eng__plan_arena_bytes(p, INT64_C(1) << 40, &bytes, &st), TSD_OK);
    assert_int_equal(bytes, 0); /* sizes beyond the limits are left dynamic */
    /* A small per-call limit makes an ordinary batch fail cleanly too. */
    eng_call *small = eng_call_new();
    eng__call_set_limits(small, 1024, 4096);
    float *x = calloc(64 * WIDTH, sizeof *x);
    eng_tensor f = h_tf(x, 2, (int64_t[]){64, WIDTH});
    assert_int_equal(eng_plan_run(p, small, &f, &out, &st), TSD_RESOURCE_EXHAUSTED);
    /* ... while the normal call still works afterwards. */
    assert_int_equal(eng_plan_run(p, c, &f, &out, &st), TSD_OK);
    free(x);
    eng_call_free(small);
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
}

static eng_node *i32_const(eng_graph *g, const char *name, const int32_t *v, int n)
{
    int64_t d[1] = {n};
    eng_tensor t = eng_test_tensor(ENG_DT_INT32, 1, d, (void *)v);
    eng_node *c = h_node(g, name, "Const", NULL);
    h_attr(g, c, "dtype", eng_test_attr_type(ENG_DT_INT32));
    h_attr(g, c, "value", eng_test_attr_tensor(&t));
    return c;
}

static void test_alias_keeps_source_alive(void **state)
{
    (void)state;
    if (!eng_op_supported("Reshape"))
        skip();
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    int64_t d[2] = {-1, WIDTH};
    h_ph(g, "x", ENG_DT_FLOAT, 2, d);
    h_scalarf(g, "two", 2.0f);
    h_scalarf(g, "three", 3.0f);
    h_scalarf(g, "one", 1.0f);
    static const int32_t flat[1] = {-1}, back[2] = {-1, WIDTH};
    i32_const(g, "flat", flat, 1);
    i32_const(g, "back", back, 2);
    h_bin(g, "a", "Mul", "x", "two");                           /* 2x */
    eng_node *r = h_node(g, "r", "Reshape", "a", "flat", NULL); /* shares a's buffer */
    h_attr(g, r, "T", eng_test_attr_type(ENG_DT_FLOAT));
    h_attr(g, r, "Tshape", eng_test_attr_type(ENG_DT_INT32));
    h_bin(g, "b", "Mul", "x", "three"); /* must not land on a's buffer */
    h_bin(g, "c", "Mul", "b", "one");
    eng_node *r2 = h_node(g, "r2", "Reshape", "r", "back", NULL);
    h_attr(g, r2, "T", eng_test_attr_type(ENG_DT_FLOAT));
    h_attr(g, r2, "Tshape", eng_test_attr_type(ENG_DT_INT32));
    h_bin(g, "out", "Add", "r2", "c"); /* 2x + 3x = 5x */
    eng_session *s = eng_session_new(g, "alias", NULL, &st);
    const char *feed[] = {"x:0"}, *fetch[] = {"out:0", "r:0"};
    eng_plan *p = h_compile(s, feed, 1, fetch, 2, NULL, 0, &st);
    if (!p)
        fail_msg("%s", st.msg);
    eng_call *c = eng_call_new();
    float x[3 * WIDTH];
    for (int i = 0; i < 3 * WIDTH; i++)
        x[i] = (float)i;
    eng_tensor fx = h_tf(x, 2, (int64_t[]){3, WIDTH}), out[2];
    for (int run = 0; run < 2; run++) {
        assert_int_equal(eng_plan_run(p, c, &fx, out, &st), TSD_OK);
        assert_int_equal(out[1].rank, 1);
        assert_int_equal(out[1].dims[0], 3 * WIDTH);
        for (int i = 0; i < 3 * WIDTH; i++) {
            assert_float_equal(((float *)out[0].data)[i], 5.0f * x[i], 1e-4);
            assert_float_equal(((float *)out[1].data)[i], 2.0f * x[i], 1e-4);
        }
    }
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
}

typedef struct worker {
    const eng_plan *p;
    int id;
    int errors;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    eng_call *c = eng_call_new();
    tsd_status st = TSD_STATUS_INIT;
    int64_t B = 1 + w->id; /* different batch sizes per thread */
    float *x = malloc((size_t)B * WIDTH * sizeof *x);
    for (int it = 0; it < 150; it++) {
        for (int i = 0; i < B * WIDTH; i++)
            x[i] = (float)((w->id * 7 + it + i) % 11) * 0.25f;
        eng_tensor fx = h_tf(x, 2, (int64_t[]){B, WIDTH}), out;
        if (eng_plan_run(w->p, c, &fx, &out, &st) || out.dims[0] != B) {
            w->errors++;
            continue;
        }
        for (int i = 0; i < B * WIDTH; i++) {
            float e = chain_ref(x[i]), g = ((float *)out.data)[i];
            if (fabsf(e - g) > 1e-3f * (1 + fabsf(e)))
                w->errors++;
        }
    }
    free(x);
    eng_call_free(c);
    return NULL;
}

static void test_concurrent_runs(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_session *s = chain_session();
    const char *feed[] = {"x:0"}, *fetch[] = {"out:0"};
    eng_plan *p = h_compile(s, feed, 1, fetch, 1, NULL, 0, &st);
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){p, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].errors, 0);
    }
    eng_plan_free(p);
    eng_session_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_liveness_reuse),
        cmocka_unit_test(test_no_growth_after_warmup),
        cmocka_unit_test(test_limits_and_huge_batch),
        cmocka_unit_test(test_alias_keeps_source_alive),
        cmocka_unit_test(test_concurrent_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
