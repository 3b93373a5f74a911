/*
 * test_batch.c - server-side batching: merging inputs (TF Serving's batch
 * padding and variable-length padding), slicing outputs into a request's
 * own memory, BatchingParameters parsing and validation, and the scheduler
 * itself under concurrent requests on the bundled half_plus_two model
 * (every answer checked against y = 0.5x + 2 computed here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "server/batch.h"
#include "server/batch_int.h"
#include "server/metrics.h"

static eng_tensor ft(int rank, const int64_t *dims, float *data)
{
    eng_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = ENG_DT_FLOAT;
    t.rank = rank;
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        t.dims[i] = dims[i];
        n *= (size_t)dims[i];
    }
    t.data = data;
    t.nbytes = n * sizeof(float);
    return t;
}

static void test_merge_rows_and_batch_padding(void **state)
{
    (void)state;
    float a[] = {1, 2, 3, 4, 5, 6}, b[] = {7, 8, 9};
    eng_tensor ta = ft(2, (int64_t[]){2, 3}, a), tb = ft(2, (int64_t[]){1, 3}, b);
    const eng_tensor *tasks[] = {&ta, &tb};
    srv__bbuf buf = {0};
    eng_tensor m;
    tsd_status st = TSD_STATUS_INIT;
    /* 3 rows padded to 5: two copies of the last task's first row */
    assert_int_equal(srv__batch_merge(tasks, 2, 1, 5, 0, &buf, &m, &st), TSD_OK);
    assert_int_equal(m.rank, 2);
    assert_int_equal(m.dims[0], 5);
    assert_int_equal(m.dims[1], 3);
    float want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 8, 9, 7, 8, 9};
    assert_memory_equal(m.data, want, sizeof want);
    /* fewer rows than the tasks have is an internal error, not an overflow */
    assert_int_equal(srv__batch_merge(tasks, 2, 1, 2, 0, &buf, &m, &st), TSD_INTERNAL);
    srv__bbuf_free(&buf);
}

static void test_merge_variable_length_padding(void **state)
{
    (void)state;
    /* rank 2: [1,2] and [1,3] -> [2,3], padded with each task's first element */
    float a[] = {1, 2}, b[] = {3, 4, 5};
    eng_tensor ta = ft(2, (int64_t[]){1, 2}, a), tb = ft(2, (int64_t[]){1, 3}, b);
    const eng_tensor *tasks[] = {&ta, &tb};
    srv__bbuf buf = {0};
    eng_tensor m;
    tsd_status st = TSD_STATUS_INIT;
    assert_false(srv__batch_compatible(&ta, &tb, 0));
    assert_true(srv__batch_compatible(&ta, &tb, 1));
    assert_int_equal(srv__batch_merge(tasks, 2, 1, 2, 1, &buf, &m, &st), TSD_OK);
    float want[] = {1, 2, 1, 3, 4, 5};
    assert_int_equal(m.dims[1], 3);
    assert_memory_equal(m.data, want, sizeof want);
    /* rank 3: [1,1,2] and [1,2,1] -> [2,2,2] */
    float c[] = {1, 2}, d[] = {7, 8};
    eng_tensor tc = ft(3, (int64_t[]){1, 1, 2}, c), td = ft(3, (int64_t[]){1, 2, 1}, d);
    const eng_tensor *tasks3[] = {&tc, &td};
    assert_int_equal(srv__batch_merge(tasks3, 2, 1, 2, 1, &buf, &m, &st), TSD_OK);
    float want3[] = {1, 2, 1, 1, 7, 7, 8, 7};
    assert_memory_equal(m.data, want3, sizeof want3);
    srv__bbuf_free(&buf);
}

static void test_merge_rejects_mixed_dtypes(void **state)
{
    (void)state;
    float a[] = {1};
    int32_t b[] = {1};
    eng_tensor ta = ft(1, (int64_t[]){1}, a), tb = ta;
    tb.dtype = ENG_DT_INT32;
    tb.data = b;
    assert_false(srv__batch_compatible(&ta, &tb, 1));
    eng_tensor scalar = ft(0, NULL, a);
    assert_false(srv__batch_compatible(&scalar, &scalar, 1));
}

static void test_slice_copies_strings(void **state)
{
    (void)state;
    char bytes[] = "alphabetagamma";
    eng_str s[] = {{bytes, 5}, {bytes + 5, 4}, {bytes + 9, 5}};
    eng_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = ENG_DT_STRING;
    t.rank = 2;
    t.dims[0] = 3;
    t.dims[1] = 1;
    t.data = s;
    t.nbytes = sizeof s;
    eng_call *call = eng_call_new();
    eng_tensor out;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(srv__batch_slice(&t, 1, 2, call, &out, &st), TSD_OK);
    assert_int_equal(out.dims[0], 2);
    assert_int_equal(out.dims[1], 1);
    memset(bytes, 'x', sizeof bytes - 1); /* the batch's memory is reused */
    const eng_str *o = out.data;
    assert_int_equal(o[0].len, 4);
    assert_memory_equal(o[0].ptr, "beta", 4);
    assert_memory_equal(o[1].ptr, "gamma", 5);
    /* out of range is refused */
    assert_int_not_equal(srv__batch_slice(&t, 2, 2, call, &out, &st), TSD_OK);
    eng_call_free(call);
}

static void test_round(void **state)
{
    (void)state;
    srv_batch_params p;
    srv_batch_params_defaults(&p);
    assert_int_equal(srv__batch_round(&p, 7), 7);
    p.allowed_batch_sizes[0] = 2;
    p.allowed_batch_sizes[1] = 8;
    p.nallowed = 2;
    assert_int_equal(srv__batch_round(&p, 1), 2);
    assert_int_equal(srv__batch_round(&p, 3), 8);
    assert_int_equal(srv__batch_round(&p, 8), 8);
}

static void test_params(void **state)
{
    (void)state;
    srv_batch_params p;
    srv_batch_params_defaults(&p);
    assert_int_equal(p.max_batch_size, 1000);
    assert_int_equal(p.batch_timeout_micros, 0);
    assert_int_equal(p.max_enqueued_batches, 10);
    assert_true(p.num_batch_threads >= 1);
    tsd_status st = TSD_STATUS_INIT;
    const char *ok = "max_batch_size { value: 128 }\n"
                     "batch_timeout_micros { value: 0 }\n"
                     "max_enqueued_batches { value: 1000000 }\n"
                     "num_batch_threads { value: 8 }\n"
                     "allowed_batch_sizes: 32 allowed_batch_sizes: 128\n"
                     "pad_variable_length_inputs: true\n";
    assert_int_equal(srv_batch_params_parse(ok, strlen(ok), &p, &st), TSD_OK);
    assert_int_equal(p.max_batch_size, 128);
    assert_int_equal(p.max_enqueued_batches, 1000000);
    assert_int_equal(p.num_batch_threads, 8);
    assert_int_equal(p.nallowed, 2);
    assert_int_equal(p.allowed_batch_sizes[1], 128);
    assert_true(p.pad_variable_length_inputs);

    srv_batch_params q = p;
    const char *dec = "max_batch_size { value: 8 } allowed_batch_sizes: 4 allowed_batch_sizes: 2 "
                      "allowed_batch_sizes: 8";
    assert_int_equal(srv_batch_params_parse(dec, strlen(dec), &q, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "allowed_batch_sizes entries must be monotonically increasing"));
    assert_int_equal(q.max_batch_size, 128); /* untouched on error */
    const char *last = "max_batch_size { value: 8 } allowed_batch_sizes: 4";
    assert_int_equal(srv_batch_params_parse(last, strlen(last), &q, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "final entry in allowed_batch_sizes must equal max_batch_size"));
    const char *zero = "max_batch_size { value: 0 }";
    assert_int_equal(srv_batch_params_parse(zero, strlen(zero), &q, &st), TSD_INVALID_ARGUMENT);
    const char *bad = "max_batch_size { valu: 3 }";
    assert_int_equal(srv_batch_params_parse(bad, strlen(bad), &q, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(
        strstr(st.msg, "Error parsing text-format tensorflow.serving.BatchingParameters: 1:"));
    assert_int_equal(srv_batch_params_load("/nonexistent/batching.txt", &q, &st) != TSD_OK, 1);
}

/* ---- the scheduler on a real model ---------------------------------------- */

typedef struct worker_arg {
    srv_batcher *b;
    const eng_plan *plan;
    int seed;
    int requests;
    int bad; /* answers that were wrong */
} worker_arg;

static void *client(void *p)
{
    worker_arg *w = p;
    eng_call *call = eng_call_new();
    unsigned r = (unsigned)w->seed;
    srv_batch_target t = {w->plan, NULL, "half", "serving_default"};
    for (int i = 0; i < w->requests; i++) {
        r = r * 1103515245u + 12345u;
        int64_t n = 1 + (int64_t)((r >> 16) % 5);
        float x[5];
        for (int k = 0; k < n; k++)
            x[k] = (float)(w->seed * 1000 + i * 10 + k);
        eng_tensor in = ft(1, &n, x), out;
        tsd_status st = TSD_STATUS_INIT;
        if (srv_batcher_run(w->b, &t, call, &in, &out, &st) != TSD_OK || out.rank != 1 ||
            out.dims[0] != n) {
            w->bad++;
            continue;
        }
        const float *y = out.data;
        for (int k = 0; k < n; k++)
            if (y[k] != 0.5f * x[k] + 2.0f)
                w->bad++;
    }
    eng_call_free(call);
    return NULL;
}

static void test_scheduler_concurrent(void **state)
{
    (void)state;
    ldr_model *m = NULL;
    tsd_status st = TSD_STATUS_INIT;
    ldr_load_options lo = {NULL, 0, "half"};
    assert_int_equal(ldr_model_load(TSD_SOURCE_DIR "/models/half_plus_two/00000123", &lo, &m, &st),
                     TSD_OK);
    const eng_plan *plan = ldr_model_plan(m, "serving_default", &st);
    assert_non_null(plan);
    srv_batch_params p;
    srv_batch_params_defaults(&p);
    p.max_batch_size = 16;
    p.batch_timeout_micros = 500;
    p.max_enqueued_batches = 1000;
    p.num_batch_threads = 2;
    p.allowed_batch_sizes[0] = 4;
    p.allowed_batch_sizes[1] = 16;
    p.nallowed = 2;
    srv_batcher *b = srv_batcher_new(&p, &st);
    assert_non_null(b);
    srv_metric *runs =
        srv_metric_counter("/tensorflow/serving/batching_session/wrapped_run_count", 0, NULL);
    int64_t runs0 = srv_metric_value(runs, NULL);
    enum { NT = 8, NREQ = 150 };
    pthread_t th[NT];
    worker_arg args[NT];
    for (int i = 0; i < NT; i++) {
        args[i] = (worker_arg){b, plan, i + 1, NREQ, 0};
        pthread_create(&th[i], NULL, client, &args[i]);
    }
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].bad, 0);
    }
    int64_t nruns = srv_metric_value(runs, NULL) - runs0;
    assert_true(nruns > 0);
    assert_true(nruns < NT * NREQ); /* requests were really batched */

    /* oversize and unbatchable requests */
    eng_call *call = eng_call_new();
    float x[17] = {0};
    int64_t n = 17;
    eng_tensor in = ft(1, &n, x), out;
    srv_batch_target t = {plan, NULL, "half", "serving_default"};
    assert_int_equal(srv_batcher_run(b, &t, call, &in, &out, &st), TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "Task size 17 is larger than maximum input batch size 16");
    float one = 4;
    eng_tensor scalar = ft(0, NULL, &one); /* runs on its own */
    assert_int_equal(srv_batcher_run(b, &t, call, &scalar, &out, &st), TSD_OK);
    assert_true(*(float *)out.data == 4.0f);
    eng_call_free(call);
    srv_batcher_free(b);
    ldr_model_free(m);
}

static void test_queue_full_and_deadline(void **state)
{
    (void)state;
    ldr_model *m = NULL;
    tsd_status st = TSD_STATUS_INIT;
    ldr_load_options lo = {NULL, 0, "half"};
    assert_int_equal(ldr_model_load(TSD_SOURCE_DIR "/models/half_plus_two/00000123", &lo, &m, &st),
                     TSD_OK);
    const eng_plan *plan = ldr_model_plan(m, "serving_default", &st);
    srv_batch_params p;
    srv_batch_params_defaults(&p);
    p.max_batch_size = 4;
    p.batch_timeout_micros = 5 * 1000 * 1000; /* batches wait to fill */
    p.max_enqueued_batches = 1;
    p.num_batch_threads = 1;
    srv_batcher *b = srv_batcher_new(&p, &st);
    srv_batch_target t = {plan, NULL, "half", "serving_default"};
    /* A lone request waits in an open batch until its deadline passes. */
    eng_call *call = eng_call_new();
    eng_call_set_timeout(call, 100);
    float x[3] = {1, 2, 3};
    int64_t n = 3;
    eng_tensor in = ft(1, &n, x), out;
    assert_int_equal(srv_batcher_run(b, &t, call, &in, &out, &st), TSD_DEADLINE_EXCEEDED);
    assert_non_null(strstr(st.msg, "timeout exceeded while waiting in batching queue"));
    eng_call_free(call);
    srv_batcher_free(b);
    ldr_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_rows_and_batch_padding),
        cmocka_unit_test(test_merge_variable_length_padding),
        cmocka_unit_test(test_merge_rejects_mixed_dtypes),
        cmocka_unit_test(test_slice_copies_strings),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_scheduler_concurrent),
        cmocka_unit_test(test_queue_full_and_deadline),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    srv_metrics_shutdown();
    return rc;
}
