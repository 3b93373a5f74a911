/*
 * bench_models.c - end-to-end latency of real fixture models through the
 * loader and engine: for each model and batch size 1, 8, 64, 256, warm up,
 * then run the signature for about 0.5 s and report microseconds per call,
 * calls per second and examples per second as a markdown table.
 *
 *   bench_models [SHARED_DIR]   (default: $TSD_SHARED_DIR, else ../shared)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loader/loader.h"
#include "tensorflow/core/example/example.pb-c.h"

#define BENCH_SECONDS 0.5
#define BENCH_WARMUP 5
#define MAX_BATCH 256

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One benchmarked model: where it is, which signature, how to make inputs. */
typedef enum input_kind { IN_FLOAT1, IN_FLOAT5, IN_CENSUS, IN_TAXI } input_kind;

typedef struct bench_model {
    const char *name;
    const char *dir; /* relative to the shared dir */
    const char *sig;
    input_kind kind;
} bench_model;

static const bench_model models[] = {
    {"half_plus_two_cpu", "models/tfserving/saved_model_half_plus_two_cpu/00000123",
     "serving_default", IN_FLOAT1},
    {"census_wide_deep", "models/estimator/census_wide_deep/1527087570", "serving_default",
     IN_CENSUS},
    {"taxi_dnn", "models/estimator/taxi_dnn/1", "serving_default", IN_TAXI},
    {"keras_single_input", "models/keras/keras_single_input/1", "serving_default", IN_FLOAT5},
};

/* The census case A Example, serialized. */
static eng_str census_example(void)
{
    static const char *const fk[] = {"age", "capital_gain", "capital_loss", "education_num",
                                     "hours_per_week"};
    static float fv[] = {25, 0, 0, 7, 40};
    static const char *const sk[] = {"education", "occupation", "relationship", "workclass"};
    static const char *const sv[] = {"11th", "Machine-op-inspct", "Own-child", "Private"};
    Tensorflow__Feature feats[9];
    Tensorflow__FloatList fl[5];
    Tensorflow__BytesList bl[4];
    ProtobufCBinaryData bd[4];
    Tensorflow__Features__FeatureEntry ents[9], *pents[9];
    for (int i = 0; i < 9; i++) {
        tensorflow__features__feature_entry__init(&ents[i]);
        tensorflow__feature__init(&feats[i]);
        ents[i].value = &feats[i];
        pents[i] = &ents[i];
        if (i < 5) {
            tensorflow__float_list__init(&fl[i]);
            fl[i].n_value = 1;
            fl[i].value = &fv[i];
            ents[i].key = (char *)fk[i];
            feats[i].kind_case = TENSORFLOW__FEATURE__KIND_FLOAT_LIST;
            feats[i].float_list = &fl[i];
        } else {
            int j = i - 5;
            tensorflow__bytes_list__init(&bl[j]);
            bd[j].data = (uint8_t *)sv[j];
            bd[j].len = strlen(sv[j]);
            bl[j].n_value = 1;
            bl[j].value = &bd[j];
            ents[i].key = (char *)sk[j];
            feats[i].kind_case = TENSORFLOW__FEATURE__KIND_BYTES_LIST;
            feats[i].bytes_list = &bl[j];
        }
    }
    Tensorflow__Features fs;
    tensorflow__features__init(&fs);
    fs.n_feature = 9;
    fs.feature = pents;
    Tensorflow__Example ex;
    tensorflow__example__init(&ex);
    ex.features = &fs;
    size_t len = tensorflow__example__get_packed_size(&ex);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return (eng_str){NULL, 0};
    tensorflow__example__pack(&ex, buf);
    return (eng_str){(const char *)buf, len};
}

/* Up to max records of the taxi eval shard (malloc'ed copies). */
static size_t taxi_examples(const char *shared, eng_str *out, size_t max)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/models/inputs/taxi_eval_examples.tfrecord.gz", shared);
    ldr_tfrecord *r;
    tsd_status st = TSD_STATUS_INIT;
    if (ldr_tfrecord_open(path, &r, &st) != TSD_OK) {
        fprintf(stderr, "bench_models: %s\n", st.msg);
        return 0;
    }
    size_t n = 0;
    const uint8_t *data;
    size_t len;
    while (n < max && ldr_tfrecord_next(r, &data, &len, 0, &st) == TSD_OK) {
        char *copy = malloc(len ? len : 1);
        if (!copy)
            break;
        memcpy(copy, data, len);
        out[n++] = (eng_str){copy, len};
    }
    ldr_tfrecord_close(r);
    return n;
}

/* Build the feed of one model for a batch; *mem receives what to free. */
static int make_feed(const bench_model *bm, const char *shared, int batch, eng_tensor *t,
                     void **mem, eng_str *pool, size_t npool)
{
    memset(t, 0, sizeof *t);
    *mem = NULL;
    if (bm->kind == IN_FLOAT1 || bm->kind == IN_FLOAT5) {
        int w = bm->kind == IN_FLOAT1 ? 1 : 5;
        float *v = malloc(sizeof(float) * (size_t)(batch * w));
        if (!v)
            return -1;
        for (int i = 0; i < batch * w; i++)
            v[i] = (float)(i % 13) * 0.25f - 1.0f;
        t->dtype = ENG_DT_FLOAT;
        t->rank = 2;
        t->dims[0] = batch;
        t->dims[1] = w;
        t->data = v;
        t->nbytes = sizeof(float) * (size_t)(batch * w);
        *mem = v;
        return 0;
    }
    (void)shared;
    if (npool == 0)
        return -1;
    eng_str *s = malloc(sizeof(eng_str) * (size_t)batch);
    if (!s)
        return -1;
    for (int i = 0; i < batch; i++)
        s[i] = pool[(size_t)i % npool];
    t->dtype = ENG_DT_STRING;
    t->rank = 1;
    t->dims[0] = batch;
    t->data = s;
    t->nbytes = sizeof(eng_str) * (size_t)batch;
    *mem = s;
    return 0;
}

static void bench_one(const bench_model *bm, const char *shared)
{
    static const int batches[] = {1, 8, 64, MAX_BATCH};
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", shared, bm->dir);
    ldr_load_options o = {NULL, 0, bm->name};
    ldr_model *m = NULL;
    tsd_status st = TSD_STATUS_INIT;
    double t0 = now_s();
    if (ldr_model_load(dir, &o, &m, &st) != TSD_OK) {
        fprintf(stderr, "bench_models: %s\n", st.msg);
        return;
    }
    double load_ms = (now_s() - t0) * 1e3;
    const eng_plan *p = ldr_model_plan(m, bm->sig, &st);
    eng_str pool[MAX_BATCH];
    size_t npool = 0;
    if (bm->kind == IN_CENSUS) {
        pool[0] = census_example();
        npool = pool[0].ptr ? 1 : 0;
    } else if (bm->kind == IN_TAXI) {
        npool = taxi_examples(shared, pool, MAX_BATCH);
    }
    eng_call *c = eng_call_new();
    eng_tensor outs[8];
    for (size_t b = 0; p && c && b < sizeof batches / sizeof batches[0]; b++) {
        eng_tensor feed;
        void *mem;
        if (make_feed(bm, shared, batches[b], &feed, &mem, pool, npool) != 0)
            break;
        int ok = 1;
        for (int i = 0; ok && i < BENCH_WARMUP; i++)
            ok = eng_plan_run(p, c, &feed, outs, &st) == TSD_OK;
        long iters = 0;
        double start = now_s(), el = 0;
        while (ok && el < BENCH_SECONDS) {
            ok = eng_plan_run(p, c, &feed, outs, &st) == TSD_OK;
            iters++;
            el = now_s() - start;
        }
        if (!ok)
            printf("| %s | %s | %d | error: %s | | | |\n", bm->name, bm->sig, batches[b], st.msg);
        else
            printf("| %s | %s | %d | %.1f | %.0f | %.0f | %.0f |\n", bm->name, bm->sig, batches[b],
                   el / (double)iters * 1e6, (double)iters / el, (double)iters * batches[b] / el,
                   load_ms);
        free(mem);
    }
    if (c)
        eng_call_free(c);
    for (size_t i = 0; i < npool; i++)
        free((void *)pool[i].ptr);
    ldr_model_free(m);
}

int main(int argc, char **argv)
{
    const char *shared = argc > 1 ? argv[1] : getenv("TSD_SHARED_DIR");
    if (!shared || !*shared)
        shared = "../shared";
    printf("| model | signature | batch | us/call | calls/s | examples/s | load ms |\n");
    printf("|---|---|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        bench_one(&models[i], shared);
    return 0;
}
